{#-
    Incremental models whose rows of a CRM deal record (or of a deal) depend on the rows of that record (or
    of the records that belong to the deal) alone, and on reference data, fingerprinted
    (incremental_loads.sql). A run deletes the rows of the records it decides again and appends theirs,
    built from all their input rows. Which records a run decides again depends on what can change them: a
    macro per model kind returns that set as a query (valid where is_incremental_from_loads(), whose ledger
    of loads it reads).
-#}

{% macro replaced_per_record(
    records_decided_again='deal_records_decided_again',
    record_column='deal_id',
    input='int_deal_records_unioned',
    fingerprinted_lookups={},
    post_hook=''
) -%}
    {#-
        The config of such a model: `records_decided_again` names the macro of the set, `record_column`
        the model's column it is matched on; the ledger holds the loads of `input` (model name); `post_hook`
        is SQL run after the ledger's.
    -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        meta={'fingerprinted_lookups': fingerprinted_lookups},
        pre_hook="{{ reset_processed_loads() }}; {% if is_incremental_from_loads() %}delete from {{ this }} where "
            ~ record_column ~ " in ({{ " ~ records_decided_again ~ "() }}){% endif %}",
        post_hook="{{ record_processed_loads([ref('" ~ input ~ "')]) }}" ~ ('; ' ~ post_hook if post_hook else ''),
    ) }}
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
    {#- The filter on the rows a model downstream of the deal records' versions builds again. -#}
    {%- if is_incremental_from_loads() %}
    where deal_id in ({{ deal_records_decided_again() }})
    {%- endif %}
{%- endmacro %}

{% macro surviving_deals_relation() -%}
    {{ this.schema }}.{{ this.identifier }}__surviving_deals
{%- endmacro %}

{% macro record_surviving_deals() -%}
    {#- post_hook: the deal each record belonged to when the model was built (for records_repointed). -#}
    create or replace table {{ surviving_deals_relation() }} as
    select deal_id, surviving_deal_id from {{ ref('int_deal_merges_resolved') }}
{%- endmacro %}

{% macro records_repointed() -%}
    {#-
        The deal records that belong to another deal, or to none, than when the model was last built (a
        merge, a deletion, a record missing from a full export): int_deal_merges_resolved against the map
        the post-hook kept.
    -#}
    select coalesce(resolved.deal_id, built_with.deal_id) as deal_id
    from {{ ref('int_deal_merges_resolved') }} as resolved
    full join {{ surviving_deals_relation() }} as built_with
        on built_with.deal_id = resolved.deal_id
    where resolved.surviving_deal_id is distinct from built_with.surviving_deal_id
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
    {{ records_repointed() }}
{%- endmacro %}

{% macro reference_key_deals_decided_again() -%}
    {#-
        The deals whose reference keys (int_deal_reference_keys_collected) a run collects again, from all
        the records that belong to them: the deal each changed record belongs to, and the one it belonged
        to when the model was last built. A record changed if a new load holds it, if its CRM's staging
        decides rows across loads (HubSpot), or if it was re-pointed.
    -#}
    with changed_records as (

        select deal_id
        from {{ ref('int_deal_records_unioned') }}
        where {{ is_new_load() }}
           or source_system in {{ sources_deciding_across_loads() }}
        union
        {{ records_repointed() }}

    )

    select surviving_deal_id
    from {{ ref('int_deal_merges_resolved') }}
    where deal_id in (select deal_id from changed_records)
    union
    select surviving_deal_id
    from {{ surviving_deals_relation() }}
    where deal_id in (select deal_id from changed_records)
{%- endmacro %}
