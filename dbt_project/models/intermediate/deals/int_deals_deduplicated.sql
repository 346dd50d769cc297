-- The latest state of every CRM deal record across the daily full exports: by the CRM's own updated_at,
-- then the later export, then the later row. Deleted and merged records are still here (flagged);
-- int_deal_merges_resolved decides which records are real deals.
-- Incremental: only loads not merged before are read; each deal they touch is decided again among its
-- new rows and its stored state (every column kept here is a max, min, sum or arg-max that such a merge
-- gives exactly as a full rebuild does, whatever order the exports arrive in). The records of a source whose
-- staging decides across loads (sources_deciding_across_loads: HubSpot's merges) are decided again from all
-- their rows in every run.
{{ merged_from_new_loads('deal_id', ['int_deal_records_unioned']) }}

with

deal_rows as not materialized (

    select * from {{ ref('int_deal_records_unioned') }}
    {{ new_loads_only(also_every_row_where='source_system in ' ~ sources_deciding_across_loads()) }}

),

candidates as (

    select
        deal_id,
        source_system,
        source_deal_id,
        deal_name,
        account_id,
        owner_id,
        stage,
        amount,
        currency,
        expected_close_date,
        created_at,
        updated_at,
        lead_source,
        referrer_account_id,
        lost_reason,
        quote_number,
        po_number,
        merged_into_deal_id,
        is_deleted,
        export_date as first_export_date,
        export_date as last_export_date,
        1 as export_row_count,
        source_file as first_source_file,
        source_row as first_source_row,
        load_id as first_load_id,
        source_file,
        source_row,
        export_date,
        load_id
    from deal_rows

    {% if is_incremental_from_loads() %}
    union all

    select
        deal_id,
        source_system,
        source_deal_id,
        deal_name,
        account_id,
        owner_id,
        stage,
        amount,
        currency,
        expected_close_date,
        created_at,
        updated_at,
        lead_source,
        referrer_account_id,
        lost_reason,
        quote_number,
        po_number,
        merged_into_deal_id,
        is_deleted,
        first_export_date,
        last_export_date,
        export_row_count,
        first_source_file,
        first_source_row,
        first_load_id,
        source_file,
        source_row,
        export_date,
        load_id
    from {{ this }}
    where deal_id in (select deal_id from deal_rows)
        and source_system not in {{ sources_deciding_across_loads() }}
    {% endif %}

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by deal_id
            order by
                updated_at desc nulls last,
                export_date desc,
                source_row desc,
                load_id desc
        ) as state_rank,
        min(first_export_date) over (partition by deal_id) as all_first_export_date,
        max(last_export_date) over (partition by deal_id) as all_last_export_date,
        sum(export_row_count) over (partition by deal_id) as all_export_row_count,
        row_number() over (
            partition by deal_id
            order by first_export_date, first_source_row, first_load_id
        ) as first_rank

    from candidates

),

first_seen as (

    select
        deal_id,
        first_source_file,
        first_source_row,
        first_load_id
    from ranked
    where first_rank = 1

),

latest as (

    select
        ranked.deal_id,
        ranked.source_system,
        ranked.source_deal_id,
        ranked.deal_name,
        ranked.account_id,
        ranked.owner_id,
        ranked.stage,
        ranked.amount,
        ranked.currency,
        ranked.expected_close_date,
        ranked.created_at,
        ranked.updated_at,
        ranked.lead_source,
        ranked.referrer_account_id,
        ranked.lost_reason,
        ranked.quote_number,
        ranked.po_number,
        ranked.merged_into_deal_id,
        ranked.is_deleted,
        ranked.all_first_export_date as first_export_date,
        ranked.all_last_export_date as last_export_date,
        cast(ranked.all_export_row_count as bigint) as export_row_count,
        first_seen.first_source_file,
        first_seen.first_source_row,
        first_seen.first_load_id,
        ranked.source_file,
        ranked.source_row,
        ranked.export_date,
        ranked.load_id

    from ranked
    inner join first_seen
        on first_seen.deal_id = ranked.deal_id
    where ranked.state_rank = 1

)

select * from latest
