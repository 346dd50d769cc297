-- The latest state of every CRM deal record across the daily full exports: by the CRM's own updated_at,
-- then the later export, then the later row. Deleted and merged records are still here (flagged);
-- int_deal_merges_resolved decides which records are real deals.
with

deal_rows as (

    select * from {{ ref('int_deal_records_unioned') }}

),

ranked as (

    select
        deal_rows.*,
        row_number() over (
            partition by deal_id
            order by
                updated_at desc nulls last,
                export_date desc,
                source_row desc,
                load_id desc
        ) as state_rank,
        min(export_date) over (partition by deal_id) as first_export_date,
        max(export_date) over (partition by deal_id) as last_export_date,
        count(*) over (partition by deal_id) as export_row_count,
        first_value(source_file) over (
            partition by deal_id
            order by export_date, source_row, load_id
            rows between unbounded preceding and unbounded following
        ) as first_source_file,
        first_value(source_row) over (
            partition by deal_id
            order by export_date, source_row, load_id
            rows between unbounded preceding and unbounded following
        ) as first_source_row

    from deal_rows

),

latest as (

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
        source_file,
        source_row

    from ranked
    where state_rank = 1

)

select * from latest
