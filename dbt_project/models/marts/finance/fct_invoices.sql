-- One row per billing document (invoice or credit note), deduplicated across the overlapping monthly
-- exports, with the CRM account of its customer and the deal it belongs to (NULL when unmatched), the
-- rule that matched it and the evidence. needs_review: a rule found several candidates and matched none.
with

invoices as (

    select * from {{ ref('int_invoices_matched') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        cast(invoices.invoice_id as varchar) as invoice_id,
        cast(invoices.invoice_number as varchar) as invoice_number,
        cast(invoices.invoice_type as varchar) as invoice_type,
        cast(invoices.customer_id as varchar) as customer_id,
        cast(invoices.account_id as varchar) as account_id,
        cast(invoices.customer_name as varchar) as customer_name,
        cast(invoices.invoice_date as date) as invoice_date,
        cast(invoices.due_date as date) as due_date,
        cast(invoices.currency as varchar) as currency,
        cast(invoices.net_amount as decimal(18, 2)) as net_amount,
        {{ to_reporting_currency('invoices.net_amount', 'fx_rates.eur_per_unit') }} as net_amount_eur,
        cast(invoices.reference as varchar) as reference,
        cast(invoices.corrects_invoice_number as varchar) as corrects_invoice_number,
        cast(invoices.deal_id as varchar) as deal_id,
        cast(invoices.match_rule as varchar) as match_rule,
        cast(invoices.match_evidence as varchar) as match_evidence,
        cast(invoices.needs_review as boolean) as needs_review,
        cast(invoices.source_file as varchar) as source_file,
        cast(invoices.source_row as bigint) as source_row
    from invoices
    left join fx_rates
        on fx_rates.currency = invoices.currency
        and fx_rates.rate_month = {{ rate_month('invoices.invoice_date') }}

)

select * from final
