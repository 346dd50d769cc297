-- Nothing lost, nothing doubled: fct_invoices holds every distinct invoice_id of the raw billing exports
-- once, and its net amounts add up to theirs (each invoice_id counted once, in its latest exported state).
-- Returns a row only when they differ.
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoices'}}}) }}

with

raw_invoices as (

    select
        'billing:' || trim(invoice_id) as invoice_id,
        net_amount,
        row_number() over (
            partition by trim(invoice_id)
            order by _export_date desc, _row_number desc, _load_id desc
        ) as export_rank
    from {{ source('billing', 'invoices') }}

),

raw_totals as (

    select
        count(*) as invoice_count,
        coalesce(sum(net_amount), 0) as net_amount
    from raw_invoices
    where export_rank = 1

),

mart_totals as (

    select
        count(*) as invoice_count,
        coalesce(sum(net_amount), 0) as net_amount
    from {{ ref('fct_invoices') }}
    -- the generic billing export's documents; the other billing sources have staging tests of their own
    where invoice_id like 'billing:%'

),

compared as (

    select
        raw_totals.invoice_count as raw_invoice_count,
        mart_totals.invoice_count as mart_invoice_count,
        raw_totals.net_amount as raw_net_amount,
        mart_totals.net_amount as mart_net_amount
    from raw_totals
    cross join mart_totals

)

select * from compared
where raw_invoice_count <> mart_invoice_count
   or raw_net_amount <> mart_net_amount
