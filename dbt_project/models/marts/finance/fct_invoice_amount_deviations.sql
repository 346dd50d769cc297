-- Reconciliation: won deals whose invoiced amount differs from the signed amount by more than var
-- invoice_amount_tolerance (relative to the signed amount). Invoiced = invoices minus credit notes matched
-- to the deal, in the deal's currency; a deal with a document in another currency cannot be compared and
-- is always listed. Deals with no invoice at all are in fct_won_deals_not_invoiced instead. A row points at
-- the CRM export row of the deal; invoice_ids lists the documents.
with

deals as not materialized (

    select * from {{ ref('fct_deals') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

deal_documents as (

    select
        invoices.deal_id,
        count(case when invoices.invoice_type = 'invoice' then 1 end) as invoice_count,
        count(case when invoices.invoice_type = 'credit_note' then 1 end) as credit_note_count,
        count(case when invoices.currency <> deals.currency then 1 end) as other_currency_document_count,
        sum(case when invoices.invoice_type = 'invoice' and invoices.currency = deals.currency then invoices.net_amount else 0 end) as invoiced_amount,
        sum(case when invoices.invoice_type = 'credit_note' and invoices.currency = deals.currency then -invoices.net_amount else 0 end) as credited_amount,
        {{ dbt.listagg('invoices.invoice_id', "', '", 'order by invoices.invoice_id') }} as invoice_ids
    from invoices
    inner join deals
        on deals.deal_id = invoices.deal_id
    group by invoices.deal_id

),

compared as (

    select
        deals.deal_id,
        deals.account_id,
        deals.owner_id,
        deals.currency,
        deals.amount as signed_amount,
        deal_documents.invoiced_amount,
        deal_documents.credited_amount,
        deal_documents.invoiced_amount - deal_documents.credited_amount as net_invoiced_amount,
        deal_documents.invoiced_amount - deal_documents.credited_amount - deals.amount as deviation_amount,
        deal_documents.invoice_count,
        deal_documents.credit_note_count,
        deal_documents.other_currency_document_count,
        deal_documents.invoice_ids,
        deals.source_file,
        deals.source_row
    from deals
    inner join deal_documents
        on deal_documents.deal_id = deals.deal_id
    where deals.status = 'won'
      and deal_documents.invoice_count > 0

),

final as (

    select
        cast(deal_id as varchar) as deal_id,
        cast(account_id as varchar) as account_id,
        cast(owner_id as varchar) as owner_id,
        cast(currency as varchar) as currency,
        cast(signed_amount as decimal(18, 2)) as signed_amount,
        cast(invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(credited_amount as decimal(18, 2)) as credited_amount,
        cast(net_invoiced_amount as decimal(18, 2)) as net_invoiced_amount,
        cast(deviation_amount as decimal(18, 2)) as deviation_amount,
        cast(
            case when signed_amount <> 0 then round(deviation_amount / signed_amount, 4) end
            as decimal(10, 4)
        ) as deviation_ratio,
        cast({{ var('invoice_amount_tolerance', 0.01) }} as decimal(10, 4)) as tolerance_ratio,
        cast(invoice_count as integer) as invoice_count,
        cast(credit_note_count as integer) as credit_note_count,
        cast(other_currency_document_count as integer) as other_currency_document_count,
        cast(invoice_ids as varchar) as invoice_ids,
        cast(source_file as varchar) as source_file,
        cast(source_row as bigint) as source_row
    from compared
    where abs(deviation_amount) > {{ var('invoice_amount_tolerance', 0.01) }} * abs(signed_amount)
       or other_currency_document_count > 0

)

select * from final
