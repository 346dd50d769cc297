-- Matching rule 2 of int_invoices_matched (amount_and_date), for the invoices rule 1 did not decide: an
-- invoice of the deal's account, in its currency, net amount within var match_amount_tolerance of the
-- deal amount, dated var match_window_min_days..match_window_max_days after the signature. Only for won
-- deals without explicitly referenced documents. Two or more deals for one invoice, or two or more
-- invoices for one deal: needs_review, no match.
with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }} where invoice_type = 'invoice'

),

customers as (

    select * from {{ ref('int_customers_matched') }}

),

deals as (

    select * from {{ ref('int_deals_consolidated') }} where status = 'won'

),

explicit_matches as not materialized (

    select * from {{ ref('int_invoice_matches_explicit_reference') }}

),

explicitly_referenced_deals as (

    select distinct deal_id
    from explicit_matches
    where deal_id is not null

),

amount_candidates as (

    select
        invoices.invoice_id,
        deals.deal_id,
        customers.account_id,
        invoices.net_amount,
        invoices.currency,
        deals.amount as deal_amount,
        {{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'invoices.invoice_date', 'day') }} as days_after_signature
    from invoices
    inner join customers
        on customers.customer_id = invoices.customer_id
    inner join deals
        on deals.account_id = customers.account_id
        and deals.currency = invoices.currency
    left join explicit_matches
        on explicit_matches.invoice_id = invoices.invoice_id
    left join explicitly_referenced_deals
        on explicitly_referenced_deals.deal_id = deals.deal_id
    where explicit_matches.invoice_id is null
      and explicitly_referenced_deals.deal_id is null
      and abs(invoices.net_amount - deals.amount) <= {{ var('match_amount_tolerance', 0.01) }} * abs(deals.amount)
      and {{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'invoices.invoice_date', 'day') }}
          between {{ var('match_window_min_days', 0) }} and {{ var('match_window_max_days', 120) }}

),

amount_candidates_counted as (

    select
        amount_candidates.*,
        count(*) over (partition by invoice_id) as deals_for_invoice,
        count(*) over (partition by deal_id) as invoices_for_deal
    from amount_candidates

),

final as (

    select
        invoice_id,
        case when max(deals_for_invoice) = 1 and max(invoices_for_deal) = 1 then min(deal_id) end as deal_id,
        'amount_and_date' as match_rule,
        case
            when max(deals_for_invoice) > 1
                then 'net amount and date fit ' || cast(max(deals_for_invoice) as {{ dbt.type_string() }})
                    || ' deals of account ' || min(account_id) || ': '
                    || {{ dbt.listagg('deal_id', "', '", 'order by deal_id') }}
            when max(invoices_for_deal) > 1
                then 'deal ' || min(deal_id) || ' fits ' || cast(max(invoices_for_deal) as {{ dbt.type_string() }})
                    || ' invoices by net amount and date'
            else 'account ' || min(account_id)
                || ', net ' || cast(min(net_amount) as {{ dbt.type_string() }}) || ' ' || min(currency)
                || ' vs deal amount ' || cast(min(deal_amount) as {{ dbt.type_string() }})
                || ', ' || cast(min(days_after_signature) as {{ dbt.type_string() }}) || ' days after signature'
        end as match_evidence,
        max(deals_for_invoice) > 1 or max(invoices_for_deal) > 1 as needs_review
    from amount_candidates_counted
    group by invoice_id

)

select * from final
