-- Matching rule 3a of int_invoices_matched (credit_note_correction), for the credit notes rule 1 did not
-- decide: a credit note belongs to the deal of the invoice whose number it corrects
-- (corrects_invoice_number; of a number printed on several invoices, the same customer's). Several
-- deals, or a corrected invoice without a deal: needs_review, no match.
with

invoices as not materialized (

    select * from {{ ref('int_invoices_deduplicated') }}

),

explicit_matches as (

    select * from {{ ref('int_invoice_matches_explicit_reference') }}

),

decided_by_rules_1_2 as (
{{ invoice_rule_matches(stronger_than='credit_note_correction', columns='invoice_id, deal_id') }}

),

credit_targets as (

    select
        credit_notes.invoice_id,
        corrected.invoice_id as corrected_invoice_id,
        corrected.invoice_number as corrected_invoice_number,
        corrected.customer_id = credit_notes.customer_id as is_same_customer,
        decided_by_rules_1_2.deal_id as corrected_deal_id
    from invoices as credit_notes
    inner join invoices as corrected
        on corrected.invoice_number = credit_notes.corrects_invoice_number
        and corrected.invoice_id <> credit_notes.invoice_id
        and corrected.invoice_type = 'invoice'
    left join decided_by_rules_1_2
        on decided_by_rules_1_2.invoice_id = corrected.invoice_id
    left join explicit_matches
        on explicit_matches.invoice_id = credit_notes.invoice_id
    where credit_notes.invoice_type = 'credit_note'
      and explicit_matches.invoice_id is null

),

credit_targets_preferred as (

    select
        credit_targets.*,
        max(case when is_same_customer then 1 else 0 end) over (partition by invoice_id) as has_same_customer_target
    from credit_targets

),

targets_counted as (

    select
        invoice_id,
        count(*) as target_count,
        count(corrected_deal_id) as matched_target_count,
        count(distinct corrected_deal_id) as target_deal_count,
        min(corrected_deal_id) as corrected_deal_id,
        min(corrected_invoice_number) as corrected_invoice_number,
        {{ dbt.listagg('corrected_invoice_id', "', '", 'order by corrected_invoice_id') }} as corrected_invoice_ids
    from credit_targets_preferred
    where is_same_customer or has_same_customer_target = 0
    group by invoice_id

),

final as (

    select
        invoice_id,
        case
            when target_deal_count = 1 and matched_target_count = target_count then corrected_deal_id
        end as deal_id,
        'credit_note_correction' as match_rule,
        case
            when target_deal_count = 1 and matched_target_count = target_count
                then 'corrects invoice ' || corrected_invoice_number || ' (' || corrected_invoice_ids
                    || ') of deal ' || corrected_deal_id
            else 'corrects invoice number ' || corrected_invoice_number || ', printed on '
                || cast(target_count as {{ dbt.type_string() }}) || ' invoices of other deals or none: '
                || corrected_invoice_ids
        end as match_evidence,
        not (target_deal_count = 1 and matched_target_count = target_count) as needs_review
    from targets_counted
    where (target_deal_count = 1 and matched_target_count = target_count)
       or target_count > 1

)

select * from final
