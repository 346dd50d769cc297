-- Reconciliation: billing documents matched to a deal the CRM says was lost: either the CRM is wrong
-- (the deal was won after all) or the match is. A row points at the billing export row of the document and
-- at the CRM export row of the deal.
with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

final as (

    select
        cast(invoices.invoice_id as varchar) as invoice_id,
        cast(invoices.invoice_number as varchar) as invoice_number,
        cast(invoices.invoice_type as varchar) as invoice_type,
        cast(invoices.customer_id as varchar) as customer_id,
        cast(invoices.account_id as varchar) as account_id,
        cast(invoices.invoice_date as date) as invoice_date,
        cast(invoices.currency as varchar) as currency,
        cast(invoices.net_amount as decimal(18, 2)) as net_amount,
        cast(invoices.net_amount_eur as decimal(18, 2)) as net_amount_eur,
        cast(invoices.reference as varchar) as reference,
        cast(invoices.deal_id as varchar) as deal_id,
        cast(deals.closed_at as timestamp) as lost_at,
        cast(deals.lost_reason as varchar) as lost_reason,
        cast(invoices.match_rule as varchar) as match_rule,
        cast(invoices.match_evidence as varchar) as match_evidence,
        cast(invoices.source_file as varchar) as source_file,
        cast(invoices.source_row as bigint) as source_row,
        cast(deals.source_file as varchar) as deal_source_file,
        cast(deals.source_row as bigint) as deal_source_row
    from invoices
    inner join deals
        on deals.deal_id = invoices.deal_id
    where deals.status = 'lost'

)

select * from final
