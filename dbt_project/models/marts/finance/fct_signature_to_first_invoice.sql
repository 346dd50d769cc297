-- Reconciliation: for every won deal, the days from the contract signature to its first invoice (credit
-- notes do not count); NULL while it is not invoiced (fct_won_deals_not_invoiced says for how long). A row
-- points at the CRM export row of the deal and at the billing export row of its first invoice.
with

deals as (

    select * from {{ ref('fct_deals') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

ranked_invoices as (

    select
        invoices.*,
        row_number() over (
            partition by invoices.deal_id
            order by invoices.invoice_date, invoices.invoice_id
        ) as invoice_rank
    from invoices
    where invoices.deal_id is not null
      and invoices.invoice_type = 'invoice'

),

first_invoices as (

    select * from ranked_invoices where invoice_rank = 1

),

final as (

    select
        cast(deals.deal_id as varchar) as deal_id,
        cast(deals.account_id as varchar) as account_id,
        cast(deals.owner_id as varchar) as owner_id,
        cast(deals.amount_eur as decimal(18, 2)) as amount_eur,
        cast(deals.signed_at as timestamp) as signed_at,
        cast(first_invoices.invoice_id as varchar) as first_invoice_id,
        cast(first_invoices.invoice_date as date) as first_invoice_date,
        cast({{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'first_invoices.invoice_date', 'day') }} as integer) as days_to_first_invoice,
        cast(first_invoices.invoice_id is not null as boolean) as is_invoiced,
        cast(deals.source_file as varchar) as source_file,
        cast(deals.source_row as bigint) as source_row,
        cast(first_invoices.source_file as varchar) as first_invoice_source_file,
        cast(first_invoices.source_row as bigint) as first_invoice_source_row
    from deals
    left join first_invoices
        on first_invoices.deal_id = deals.deal_id
    where deals.status = 'won'

)

select * from final
