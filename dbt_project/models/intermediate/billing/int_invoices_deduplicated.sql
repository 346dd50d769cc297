-- Every billing document once, although monthly exports overlap: one row per invoice_id (the accounting
-- system's unique key), the state of the latest export. Two documents printed with the same invoice_number
-- keep their own invoice_ids and stay two documents.
-- Built whole, not merged per load: the billing sources' staging decides across loads (a QuickBooks document
-- deleted by a later export loses its rows of every export, QuickBooks customer names come from the latest
-- customer export, Stripe credit notes look up the invoices of every load), so stored rows can go stale. But
-- only in a run with a new load upstream (rebuilt_on_new_loads): a CRM-only day leaves it as it is.
{{ rebuilt_on_new_loads() }}

with

invoice_rows as (

    select * from {{ ref('int_invoice_records_unioned') }}

),

ranked as (

    select
        invoice_rows.*,
        row_number() over (
            partition by invoice_id
            order by export_date desc, source_row desc, load_id desc
        ) as state_rank,
        count(*) over (partition by invoice_id) as export_row_count
    from invoice_rows

),

final as (

    select
        invoice_id,
        source_system,
        source_invoice_id,
        invoice_number,
        invoice_type,
        customer_id,
        customer_name,
        customer_kvk,
        invoice_date,
        due_date,
        currency,
        net_amount,
        vat_amount,
        total_amount,
        reference,
        corrects_invoice_number,
        export_row_count,
        export_date,
        source_file,
        source_row,
        load_id
    from ranked
    where state_rank = 1

)

select * from final
{{- unless_kept_as_built() }}
