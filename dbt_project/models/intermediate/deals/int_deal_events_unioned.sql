-- Every milestone of every real deal in one shape, from all sources:
--   created                      each deal record's creation (a merged-away duplicate's too: its events
--                                belong to the surviving deal)
--   qualified ... lost           stage changes, named by their milestone (seeds/stage_milestones.csv)
--   reopened                     a change from a closed stage (contract_signed, lost) back to an open one
--   invoiced, credited           billing documents matched to the deal, with the rule and its evidence
-- Typed as the mart fct_deal_events, a view of this model, shows them. Incremental per deal: a deal's
-- events depend on its records, their stage changes and the billing documents matched to it. A run builds
-- again the events of the deals a new load, a merge or a billing load's matching can change (macro
-- deal_events_decided_again) and replaces theirs; each input is filtered to those deals before the union
-- (a filter on the union was applied after it: 2 s for no deal at 1M).
{{ replaced_per_record(
    records_decided_again='deal_events_decided_again',
    inputs=['int_deal_records_unioned', 'int_deal_stage_changes_unioned'],
    kept_lookups=['surviving_deals', 'invoice_events'],
) }}
-- depends_on: {{ ref('int_deal_records_unioned') }}, {{ ref('int_deal_stage_changes_unioned') }}
with

deal_records as not materialized (

    select * from {{ ref('int_deals_deduplicated') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}
    {{ only_records_decided_again('surviving_deal_id') }}

),

stage_changes as not materialized (

    select * from {{ ref('int_deal_stage_changes_deduplicated') }}
    {{ only_records_decided_again() }}

),

invoices as (

    select * from {{ ref('int_invoices_matched') }}
    {{ only_records_decided_again() }}

),

first_amounts as (

    select
        record_deal_id,
        amount
    from stage_changes
    where change_number = 1

),

created_events as (

    select
        deal_records.deal_id as event_key,
        deal_merges.surviving_deal_id as deal_id,
        'created' as event_type,
        deal_records.created_at as event_at,
        coalesce(first_amounts.amount, deal_records.amount) as amount,
        deal_records.currency,
        deal_records.source_system,
        deal_records.deal_id as source_record_id,
        deal_records.first_source_file as source_file,
        deal_records.first_source_row as source_row,
        cast(null as {{ dbt.type_string() }}) as match_rule,
        cast(null as {{ dbt.type_string() }}) as match_evidence
    from deal_records
    inner join deal_merges
        on deal_merges.deal_id = deal_records.deal_id
    left join first_amounts
        on first_amounts.record_deal_id = deal_records.deal_id
    where deal_merges.surviving_deal_id is not null

),

stage_events as (

    select
        stage_changes.stage_change_id as event_key,
        stage_changes.deal_id,
        stage_changes.milestone as event_type,
        stage_changes.changed_at as event_at,
        stage_changes.amount,
        deal_records.currency,
        deal_records.source_system,
        stage_changes.record_deal_id as source_record_id,
        stage_changes.source_file,
        stage_changes.source_row,
        cast(null as {{ dbt.type_string() }}) as match_rule,
        cast(null as {{ dbt.type_string() }}) as match_evidence
    from stage_changes
    inner join deal_records
        on deal_records.deal_id = stage_changes.record_deal_id
    where stage_changes.milestone <> 'created'

),

reopened_events as (

    select
        stage_changes.stage_change_id as event_key,
        stage_changes.deal_id,
        'reopened' as event_type,
        stage_changes.changed_at as event_at,
        stage_changes.amount,
        deal_records.currency,
        deal_records.source_system,
        stage_changes.record_deal_id as source_record_id,
        stage_changes.source_file,
        stage_changes.source_row,
        cast(null as {{ dbt.type_string() }}) as match_rule,
        cast(null as {{ dbt.type_string() }}) as match_evidence
    from stage_changes
    inner join deal_records
        on deal_records.deal_id = stage_changes.record_deal_id
    where stage_changes.is_reopening

),

invoice_events as (

    select
        invoice_id as event_key,
        deal_id,
        case invoice_type when 'credit_note' then 'credited' else 'invoiced' end as event_type,
        cast(invoice_date as timestamp) as event_at,
        net_amount as amount,
        currency,
        source_system,
        invoice_id as source_record_id,
        source_file,
        source_row,
        match_rule,
        match_evidence
    from invoices
    where deal_id is not null

),

unioned as (

    select * from created_events
    union all
    select * from stage_events
    union all
    select * from reopened_events
    union all
    select * from invoice_events

),

final as (

    select
        cast({{ surrogate_key(['event_type', 'event_key']) }} as varchar) as event_id,
        cast(deal_id as varchar) as deal_id,
        cast(event_type as varchar) as event_type,
        cast(event_at as timestamp) as event_at,
        cast(amount as decimal(18, 2)) as amount,
        cast(currency as varchar) as currency,
        cast(source_system as varchar) as source_system,
        cast(source_record_id as varchar) as source_record_id,
        cast(source_file as varchar) as source_file,
        cast(source_row as bigint) as source_row,
        cast(match_rule as varchar) as match_rule,
        cast(match_evidence as varchar) as match_evidence
    from unioned

)

select * from final
