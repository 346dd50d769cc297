{#-
    Incremental models whose rows of a record (a CRM deal record, a deal, an activity) depend on the input
    rows of that record alone, on reference data, fingerprinted (incremental_loads.sql), and on lookups
    whose state the model keeps (kept_lookup). A run deletes the rows of the records it decides again and
    appends theirs, built from all their input rows. Which records a run decides again depends on what can
    change them: a macro per model kind returns that set as a query (valid where is_incremental_from_loads(),
    whose ledger of loads it reads).
-#}

{% macro replaced_per_record(
    records_decided_again='deal_records_decided_again',
    record_column='deal_id',
    inputs=['int_deal_records_unioned'],
    kept_lookups=[],
    fingerprinted_lookups={}
) -%}
    {#-
        The config of such a model: `records_decided_again` names the macro of the set, `record_column`
        the model's column it is matched on; the ledger holds the loads of `inputs` (model names);
        `kept_lookups` names the lookups (macro kept_lookup) whose state the set compares with the one the
        model was last built with. The pre-hook keeps the set in `<model>__decided_again`, computed once
        and before any row is deleted (a set may read the stored rows); the model's filters read it there
        (only_records_decided_again).
    -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        meta={'fingerprinted_lookups': fingerprinted_lookups},
        pre_hook="{{ reset_processed_loads() }}; {% if is_incremental_from_loads() %}"
            ~ "create or replace table {{ decided_again_relation() }} as select distinct record_id from ({{ "
            ~ records_decided_again ~ "() }}) as decided_again (record_id); delete from {{ this }} where "
            ~ record_column ~ " in (select record_id from {{ decided_again_relation() }}){% endif %}",
        post_hook=recording_loads_of(inputs) ~ "; {{ keep_lookups(" ~ kept_lookups ~ ") }}",
    ) }}
{%- endmacro %}

{% macro decided_again_relation() -%}
    {{ this.schema }}.{{ this.identifier }}__decided_again
{%- endmacro %}

{% macro is_decided_again(column) -%}
    {#- Whether a row's record is one the run decides again (only where is_incremental_from_loads()). -#}
    {{ column }} in (select record_id from {{ decided_again_relation() }})
{%- endmacro %}

{% macro only_records_decided_again(column='deal_id') -%}
    {#- A replaced_per_record model's filter on an input: the rows of the records the run decides again. -#}
    {%- if is_incremental_from_loads() %}
    where {{ is_decided_again(column) }}
    {%- endif %}
{%- endmacro %}

{% macro deal_records_decided_again() -%}
    {#-
        The CRM deal records whose versions (int_deal_states_historized) a run decides again: a record in a
        new load; every record of a CRM with a new full export (a record it lacks gets an 'absent' version);
        every record of a CRM whose staging decides rows across loads (HubSpot's merges).
    -#}
    select distinct deal_id
    from {{ ref('int_deal_records_unioned') }}
    where {{ is_new_load() }}
       or source_system in {{ sources_deciding_across_loads() }}
       or source_system in (
           select source_system
           from {{ ref('int_deal_records_unioned') }}
           where {{ is_new_load() }}
             and export_scope = 'full'
       )
{%- endmacro %}

{% macro only_deal_records_decided_again() -%}
    {#- int_deal_states_historized's filter (it merges, keeping no set): the records it decides again. -#}
    {%- if is_incremental_from_loads() %}
    where deal_id in ({{ deal_records_decided_again() }})
    {%- endif %}
{%- endmacro %}

{% macro kept_lookup(name) -%}
    {#-
        A lookup a replaced_per_record model reads whole and whose state it keeps, as of its last build, in
        `<model>__<name>` (post-hook keep_lookups): its query, key column and value column. Relations from
        the graph (model_relation), not ref(): a hook may ref only the model's own dependencies.
          surviving_deals   the deal each CRM deal record belongs to (a merge, a deletion re-points records)
          deal_accounts     each real deal's account
          first_signatures  each account's first won deal's signature (first_signatures_by_account)
          invoice_events    each billing document's deal and a hash of its whole matched row
                            (int_invoices_matched): a change to any column decides its deals again, so the set
                            needs no copy of the columns that int_deal_events_unioned's invoice events read.
                            DuckDB's 64-bit hash() of the row, order-sensitive over its columns: at 1M deals
                            0.2 s to keep and 0.15 s to compare, against 0.9 and 0.5 s for the row itself
    -#}
    {%- set lookups = {
        'surviving_deals': {
            'query': 'select deal_id, surviving_deal_id from ' ~ model_relation('int_deal_merges_resolved'),
            'key': 'deal_id', 'value': 'surviving_deal_id'},
        'deal_accounts': {
            'query': 'select deal_id, account_id from ' ~ model_relation('fct_deals'),
            'key': 'deal_id', 'value': 'account_id'},
        'first_signatures': {
            'query': first_signatures_by_account(model_relation('fct_deals')),
            'key': 'account_id', 'value': 'first_signed_at'},
        'invoice_events': {
            'query': 'select invoice_id, struct_pack(deal_id := matched.deal_id, row_hash := hash(matched))'
                ~ ' as invoice_event from ' ~ model_relation('int_invoices_matched') ~ ' as matched',
            'key': 'invoice_id', 'value': 'invoice_event'},
    } -%}
    {%- do return(lookups[name]) -%}
{%- endmacro %}

{% macro kept_lookup_relation(name) -%}
    {{ this.schema }}.{{ this.identifier }}__{{ name }}
{%- endmacro %}

{% macro keep_lookups(names) -%}
    {#- post_hook: the kept lookups' state the model was built with, for lookup_changed_keys in its next run. -#}
    {%- for name in names %}
    create or replace table {{ kept_lookup_relation(name) }} as {{ kept_lookup(name).query }};
    {%- endfor %}
{%- endmacro %}

{% macro lookup_changed_keys(name) -%}
    {#-
        The keys whose value in a kept lookup differs from the kept one, or that are new or gone (NULL and
        missing are the same to the models: a left join finds nothing either way).
    -#}
    {%- set lookup = kept_lookup(name) -%}
    select coalesce(current_state.{{ lookup.key }}, built_with.{{ lookup.key }}) as {{ lookup.key }}
    from ({{ lookup.query }}) as current_state
    full join {{ kept_lookup_relation(name) }} as built_with
        on built_with.{{ lookup.key }} = current_state.{{ lookup.key }}
    where current_state.{{ lookup.value }} is distinct from built_with.{{ lookup.value }}
{%- endmacro %}

{% macro first_signatures_by_account(deals) -%}
    {#- Each account's first signature among its won deals (`deals`: fct_deals or a CTE of it). -#}
    select
        account_id,
        min(signed_at) as first_signed_at
    from {{ deals }}
    where status = 'won'
    group by account_id
{%- endmacro %}

{% macro stage_change_records_decided_again() -%}
    {#-
        The CRM deal records whose stage changes (int_deal_stage_changes_deduplicated) a run sequences again:
        a record with a stage change in a new load, and a re-pointed one.
    -#}
    select deal_id
    from {{ ref('int_deal_stage_changes_unioned') }}
    where {{ is_new_load() }}
    union
    {{ lookup_changed_keys('surviving_deals') }}
{%- endmacro %}

{% macro reference_key_deals_decided_again() -%}
    {#-
        The deals whose reference keys (int_deal_reference_keys_collected) a run collects again, from all
        the records that belong to them: the deals of the changed deal records (deals_of_changed_records).
    -#}
    with changed_records as (

        {{ changed_deal_records() }}

    )

    {{ deals_of_changed_records() }}
{%- endmacro %}

{% macro deal_events_decided_again() -%}
    {#-
        The deals whose events (int_deal_events_unioned) a run builds again: the deals of the changed deal
        records (deals_of_changed_records), a record also changed if a new load holds a stage change of it;
        and the deals of every billing document whose event changed (kept lookup invoice_events: a billing
        load matches documents again), the deal it is matched to now and the one it was matched to before.
    -#}
    with changed_records as (

        {{ changed_deal_records() }}
        union
        select deal_id
        from {{ ref('int_deal_stage_changes_unioned') }}
        where {{ is_new_load() }}

    ),

    changed_invoices as (

        {{ lookup_changed_keys('invoice_events') }}

    )

    {{ deals_of_changed_records() }}
    union
    select deal_id
    from {{ ref('int_invoices_matched') }}
    where invoice_id in (select invoice_id from changed_invoices)
    union
    select invoice_event.deal_id
    from {{ kept_lookup_relation('invoice_events') }}
    where invoice_id in (select invoice_id from changed_invoices)
{%- endmacro %}

{% macro changed_deal_records() -%}
    {#-
        The CRM deal records whose rows a run may change: a record a new load holds, every record of a CRM
        whose staging decides rows across loads (HubSpot), and a re-pointed one (kept lookup surviving_deals).
    -#}
    select deal_id
    from {{ ref('int_deal_records_unioned') }}
    where {{ is_new_load() }}
       or source_system in {{ sources_deciding_across_loads() }}
    union
    {{ lookup_changed_keys('surviving_deals') }}
{%- endmacro %}

{% macro deals_of_changed_records() -%}
    {#-
        The deals of the records in the CTE `changed_records` (deal_id): the deal each belongs to now, and
        the one it belonged to when the model was last built (the deal it left is decided again too).
    -#}
    select surviving_deal_id
    from {{ ref('int_deal_merges_resolved') }}
    where deal_id in (select deal_id from changed_records)
    union
    select surviving_deal_id
    from {{ kept_lookup_relation('surviving_deals') }}
    where deal_id in (select deal_id from changed_records)
{%- endmacro %}

{% macro activities_decided_again() -%}
    {#-
        The activities whose attribution (int_activities_attributed) a run decides again: an activity with a
        row in a new load, or from a CRM whose staging decides rows across loads (HubSpot's associations);
        one whose deal record was re-pointed, or whose contact has a row in a new load; one whose deal
        moved to another account, or whose account's first signature changed.
    -#}
    select activity_id
    from {{ ref('int_activity_records_unioned') }}
    where {{ is_new_load() }}
       or split_part(activity_id, ':', 1) in {{ sources_deciding_across_loads() }}  -- the source of its key (source_key)
       or deal_id in ({{ lookup_changed_keys('surviving_deals') }})
       or contact_id in (select contact_id from {{ ref('int_contact_records_unioned') }} where {{ is_new_load() }})
    union
    select activity_id
    from {{ this }}
    where deal_id in ({{ lookup_changed_keys('deal_accounts') }})
       or account_id in ({{ lookup_changed_keys('first_signatures') }})
{%- endmacro %}
