-- Every milestone of every real deal in one shape, from all sources:
--   created                      each deal record's creation (a merged-away duplicate's too: its events
--                                belong to the surviving deal)
--   qualified ... lost           stage changes, named by their milestone (seeds/stage_milestones.csv)
--   reopened                     a change from a closed stage (contract_signed, lost) back to an open one
--   invoiced, credited           billing documents matched to the deal, with the rule and its evidence
-- A view: fct_deal_events is this union, typed, and fct_deals reads it there, so the union is computed and
-- written once per build (as a table it was written twice: 8.1 s and 7.0 s at 1M deals, docs/benchmarks.md).
-- Its keys are tested on fct_deal_events.
{{ config(materialized='view') }}

with

deal_records as not materialized (

    select * from {{ ref('int_deals_deduplicated') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}

),

stage_changes as not materialized (

    select * from {{ ref('int_deal_stage_changes_deduplicated') }}

),

invoices as (

    select * from {{ ref('int_invoices_matched') }}

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
        {{ surrogate_key(['event_type', 'event_key']) }} as event_id,
        deal_id,
        event_type,
        event_at,
        amount,
        currency,
        source_system,
        source_record_id,
        source_file,
        source_row,
        match_rule,
        match_evidence
    from unioned

)

select * from final
