-- Every billing document once, with the deal it belongs to (at most one), the rule that matched it and
-- the evidence. The rules, in order of strength, are models of their own; a document decided by a rule
-- (matched or flagged needs_review) is not looked at by the weaker ones, so each document has at most one
-- rule's row:
--   1.  int_invoice_matches_explicit_reference    the reference names the deal's CRM id, quote or PO number
--   2.  int_invoice_matches_amount_and_date       same account, amount within tolerance, date in window
--   3a. int_invoice_matches_credit_note_correction  the credit note corrects the deal's invoice
--   3b. int_invoice_matches_same_reference         the same reference text as a matched document
with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

customers as (

    select * from {{ ref('int_customers_matched') }}

),

decided as (
{{ invoice_rule_matches() }}

),

final as (

    select
        invoices.invoice_id,
        invoices.source_system,
        invoices.source_invoice_id,
        invoices.invoice_number,
        invoices.invoice_type,
        invoices.customer_id,
        invoices.customer_name,
        customers.account_id,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency,
        invoices.net_amount,
        invoices.vat_amount,
        invoices.total_amount,
        invoices.reference,
        invoices.corrects_invoice_number,
        decided.deal_id,
        decided.match_rule,
        decided.match_evidence,
        coalesce(decided.needs_review, false) as needs_review,
        invoices.source_file,
        invoices.source_row
    from invoices
    left join customers
        on customers.customer_id = invoices.customer_id
    left join decided
        on decided.invoice_id = invoices.invoice_id

)

select * from final
