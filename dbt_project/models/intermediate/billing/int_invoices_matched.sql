-- Every billing document once, with the deal it belongs to (at most one), the rule that matched it and
-- the evidence. Rules in order of strength; a document decided by a rule (matched or flagged) is not
-- looked at by the weaker ones:
--   1. explicit_reference     the reference names exactly one deal by its CRM id, quote number or PO
--                             number (words of free text count too). Several deals named: needs_review.
--   2. amount_and_date        an invoice of the deal's account, in its currency, net amount within
--                             var match_amount_tolerance of the deal amount, dated var
--                             match_window_min_days..match_window_max_days after the signature. Only
--                             for won deals without explicitly referenced documents. Two or more deals
--                             for one invoice, or two or more invoices for one deal: needs_review, no match.
--   3. credit_note_correction a credit note belongs to the deal of the invoice whose number it corrects
--                             (corrects_invoice_number; of a duplicated number, the same customer's).
--      same_reference         a document with the same reference text as a matched document of the
--                             same customer belongs to that deal (installments).
with

invoices as not materialized (

    select * from {{ ref('int_invoices_deduplicated') }}

),

customers as (

    select * from {{ ref('int_customers_matched') }}

),

deals as (

    select * from {{ ref('int_deals_consolidated') }}

),

deal_keys as (

    select * from {{ ref('int_deal_reference_keys_collected') }}

),

invoice_accounts as (

    select
        invoices.*,
        customers.account_id,
        {{ normalize_reference_text('invoices.reference') }} as reference_normalized
    from invoices
    left join customers
        on customers.customer_id = invoices.customer_id

),

-- Rule 1: explicit reference ------------------------------------------------------------------------

reference_words as (

    select
        invoice_id,
        {{ unnest_reference_tokens('reference') }} as reference_word
    from invoices
    where reference is not null

),

reference_tokens as (

    select distinct
        invoice_id,
        {{ normalize_reference_key('reference_word') }} as reference_key
    from reference_words

),

explicit_candidates as (

    select distinct
        reference_tokens.invoice_id,
        deal_keys.deal_id,
        deal_keys.key_type || ' ' || deal_keys.key_value || ' of ' || deal_keys.deal_id as key_evidence
    from reference_tokens
    inner join deal_keys
        on deal_keys.reference_key = reference_tokens.reference_key

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

rule_1 as (

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

),

-- Rule 2: same account, amount within tolerance, date within the window after the signature --------

explicitly_referenced_deals as (

    select distinct deal_id
    from rule_1
    where deal_id is not null

),

amount_candidates as (

    select
        invoice_accounts.invoice_id,
        deals.deal_id,
        invoice_accounts.account_id,
        invoice_accounts.net_amount,
        invoice_accounts.currency,
        deals.amount as deal_amount,
        {{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'invoice_accounts.invoice_date', 'day') }} as days_after_signature
    from invoice_accounts
    inner join deals
        on deals.account_id = invoice_accounts.account_id
        and deals.currency = invoice_accounts.currency
        and deals.status = 'won'
    left join rule_1
        on rule_1.invoice_id = invoice_accounts.invoice_id
    left join explicitly_referenced_deals
        on explicitly_referenced_deals.deal_id = deals.deal_id
    where invoice_accounts.invoice_type = 'invoice'
      and rule_1.invoice_id is null
      and explicitly_referenced_deals.deal_id is null
      and abs(invoice_accounts.net_amount - deals.amount) <= {{ var('match_amount_tolerance', 0.01) }} * abs(deals.amount)
      and {{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'invoice_accounts.invoice_date', 'day') }}
          between {{ var('match_window_min_days', 0) }} and {{ var('match_window_max_days', 120) }}

),

amount_candidates_counted as (

    select
        amount_candidates.*,
        count(*) over (partition by invoice_id) as deals_for_invoice,
        count(*) over (partition by deal_id) as invoices_for_deal
    from amount_candidates

),

rule_2 as (

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

),

decided_1_2 as (

    select * from rule_1
    union all
    select * from rule_2

),

-- Rule 3a: a credit note belongs to the deal of the invoice it corrects ----------------------------

credit_targets as (

    select
        credit_notes.invoice_id,
        corrected.invoice_id as corrected_invoice_id,
        corrected.invoice_number as corrected_invoice_number,
        corrected.customer_id = credit_notes.customer_id as is_same_customer,
        decided_1_2.deal_id as corrected_deal_id
    from invoice_accounts as credit_notes
    inner join invoices as corrected
        on corrected.invoice_number = credit_notes.corrects_invoice_number
        and corrected.invoice_id <> credit_notes.invoice_id
        and corrected.invoice_type = 'invoice'
    left join decided_1_2
        on decided_1_2.invoice_id = corrected.invoice_id
    left join rule_1
        on rule_1.invoice_id = credit_notes.invoice_id
    where credit_notes.invoice_type = 'credit_note'
      and rule_1.invoice_id is null

),

credit_targets_preferred as (

    select
        credit_targets.*,
        max(case when is_same_customer then 1 else 0 end) over (partition by invoice_id) as has_same_customer_target
    from credit_targets

),

rule_3a_counted as (

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

rule_3a as (

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
    from rule_3a_counted
    where (target_deal_count = 1 and matched_target_count = target_count)
       or target_count > 1

),

decided_1_2_3a as (

    select * from decided_1_2
    union all
    select * from rule_3a

),

-- Rule 3b: the same reference text as a matched document of the same customer ---------------------

matched_references as (

    select
        invoice_accounts.customer_id,
        invoice_accounts.reference_normalized,
        count(distinct decided_1_2_3a.deal_id) as reference_deal_count,
        min(decided_1_2_3a.deal_id) as deal_id,
        min(invoice_accounts.invoice_id) as example_invoice_id
    from invoice_accounts
    inner join decided_1_2_3a
        on decided_1_2_3a.invoice_id = invoice_accounts.invoice_id
    where decided_1_2_3a.deal_id is not null
      and invoice_accounts.reference_normalized is not null
    group by
        invoice_accounts.customer_id,
        invoice_accounts.reference_normalized

),

rule_3b as (

    select
        invoice_accounts.invoice_id,
        matched_references.deal_id,
        'same_reference' as match_rule,
        'reference ''' || invoice_accounts.reference || ''' as on ' || matched_references.example_invoice_id
            || ' of the same customer, matched to deal ' || matched_references.deal_id as match_evidence,
        false as needs_review
    from invoice_accounts
    inner join matched_references
        on matched_references.customer_id = invoice_accounts.customer_id
        and matched_references.reference_normalized = invoice_accounts.reference_normalized
    left join decided_1_2_3a
        on decided_1_2_3a.invoice_id = invoice_accounts.invoice_id
    where decided_1_2_3a.invoice_id is null
      and matched_references.reference_deal_count = 1

),

decided as (

    select * from decided_1_2_3a
    union all
    select * from rule_3b

),

final as (

    select
        invoice_accounts.invoice_id,
        invoice_accounts.source_system,
        invoice_accounts.source_invoice_id,
        invoice_accounts.invoice_number,
        invoice_accounts.invoice_type,
        invoice_accounts.customer_id,
        invoice_accounts.customer_name,
        invoice_accounts.account_id,
        invoice_accounts.invoice_date,
        invoice_accounts.due_date,
        invoice_accounts.currency,
        invoice_accounts.net_amount,
        invoice_accounts.vat_amount,
        invoice_accounts.total_amount,
        invoice_accounts.reference,
        invoice_accounts.corrects_invoice_number,
        decided.deal_id,
        decided.match_rule,
        decided.match_evidence,
        coalesce(decided.needs_review, false) as needs_review,
        invoice_accounts.source_file,
        invoice_accounts.source_row
    from invoice_accounts
    left join decided
        on decided.invoice_id = invoice_accounts.invoice_id

)

select * from final
