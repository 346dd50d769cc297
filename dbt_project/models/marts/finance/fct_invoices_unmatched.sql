-- Reconciliation: every billing document that belongs to no deal, with why: a rule found several
-- candidates (needs_review, the candidates in match_evidence), the customer is no known CRM account, or no
-- rule found a deal. A row points at the billing export row the document was read from.
with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

final as (

    select
        cast(invoice_id as varchar) as invoice_id,
        cast(invoice_number as varchar) as invoice_number,
        cast(invoice_type as varchar) as invoice_type,
        cast(customer_id as varchar) as customer_id,
        cast(customer_name as varchar) as customer_name,
        cast(account_id as varchar) as account_id,
        cast(invoice_date as date) as invoice_date,
        cast(currency as varchar) as currency,
        cast(net_amount as decimal(18, 2)) as net_amount,
        cast(net_amount_eur as decimal(18, 2)) as net_amount_eur,
        cast(reference as varchar) as reference,
        cast(corrects_invoice_number as varchar) as corrects_invoice_number,
        cast(
            case
                when needs_review then 'needs_review'
                when account_id is null then 'unknown_customer'
                else 'no_matching_deal'
            end
            as varchar
        ) as unmatched_reason,
        cast(needs_review as boolean) as needs_review,
        cast(match_rule as varchar) as review_rule,
        cast(match_evidence as varchar) as review_evidence,
        cast(source_file as varchar) as source_file,
        cast(source_row as bigint) as source_row
    from invoices
    where deal_id is null

)

select * from final
