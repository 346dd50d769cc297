-- Matching rule 3b of int_invoices_matched (same_reference), for the documents rules 1, 2 and 3a did not
-- decide: a document with the same reference text (normalized) as a document of the same customer that
-- those rules matched belongs to that deal (installments), if the text names only one matched deal.
with

invoice_references as not materialized (

    select
        invoice_id,
        customer_id,
        reference,
        {{ normalize_reference_text('reference') }} as reference_normalized
    from {{ ref('int_invoices_deduplicated') }}
    where reference is not null

),

decided_by_rules_1_to_3a as not materialized (
{{ invoice_rule_matches(stronger_than='same_reference', columns='invoice_id, deal_id') }}

),

matched_references as (

    select
        invoice_references.customer_id,
        invoice_references.reference_normalized,
        count(distinct decided_by_rules_1_to_3a.deal_id) as reference_deal_count,
        min(decided_by_rules_1_to_3a.deal_id) as deal_id,
        min(invoice_references.invoice_id) as example_invoice_id
    from invoice_references
    inner join decided_by_rules_1_to_3a
        on decided_by_rules_1_to_3a.invoice_id = invoice_references.invoice_id
    where decided_by_rules_1_to_3a.deal_id is not null
    group by
        invoice_references.customer_id,
        invoice_references.reference_normalized

),

final as (

    select
        invoice_references.invoice_id,
        matched_references.deal_id,
        'same_reference' as match_rule,
        'reference ''' || invoice_references.reference || ''' as on ' || matched_references.example_invoice_id
            || ' of the same customer, matched to deal ' || matched_references.deal_id as match_evidence,
        false as needs_review
    from invoice_references
    inner join matched_references
        on matched_references.customer_id = invoice_references.customer_id
        and matched_references.reference_normalized = invoice_references.reference_normalized
    left join decided_by_rules_1_to_3a
        on decided_by_rules_1_to_3a.invoice_id = invoice_references.invoice_id
    where decided_by_rules_1_to_3a.invoice_id is null
      and matched_references.reference_deal_count = 1

)

select * from final
