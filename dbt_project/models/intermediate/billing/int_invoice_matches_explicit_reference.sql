-- Matching rule 1 of int_invoices_matched (explicit_reference): the documents whose reference names a
-- deal by its CRM id, quote number or PO number (words of free text count too). Exactly one deal named:
-- matched; several: needs_review, no match. Each rule is a table of its own so that no query holds the
-- joins of all rules at once (together they ran out of memory at 10M deals).
with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

explicit_candidates as (

    select * from {{ ref('int_invoice_reference_candidates') }}

),

explicit_per_invoice as (

    select
        invoice_id,
        count(distinct deal_id) as candidate_deal_count,
        min(deal_id) as candidate_deal_id,
        {{ dbt.listagg('key_evidence', "', '", 'order by key_evidence') }} as key_evidence
    from explicit_candidates
    group by invoice_id

),

final as (

    select
        explicit_per_invoice.invoice_id,
        case when explicit_per_invoice.candidate_deal_count = 1 then explicit_per_invoice.candidate_deal_id end as deal_id,
        'explicit_reference' as match_rule,
        case
            when explicit_per_invoice.candidate_deal_count = 1
                then 'reference ''' || invoices.reference || ''' contains ' || explicit_per_invoice.key_evidence
            else 'reference ''' || invoices.reference || ''' names '
                || cast(explicit_per_invoice.candidate_deal_count as {{ dbt.type_string() }})
                || ' deals: ' || explicit_per_invoice.key_evidence
        end as match_evidence,
        explicit_per_invoice.candidate_deal_count > 1 as needs_review
    from explicit_per_invoice
    inner join invoices
        on invoices.invoice_id = explicit_per_invoice.invoice_id

)

select * from final
