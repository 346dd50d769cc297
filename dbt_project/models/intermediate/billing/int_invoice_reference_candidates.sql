-- The candidates of matching rule 1 (int_invoice_matches_explicit_reference): each document whose
-- reference contains a deal key (CRM id, quote number or PO number, also as a word of free text), once per
-- deal and key. A table of its own, as each rule is, so that the rule's distinct and ordered aggregates do
-- not share the memory limit with this join (invoice matching in one query ran out of memory at 10M deals).
with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }} where reference is not null

),

deal_keys as (

    select * from {{ ref('int_deal_reference_keys_collected') }}

),

reference_words as (

    select
        invoice_id,
        {{ unnest_reference_tokens('reference') }} as reference_word
    from invoices

),

reference_tokens as (

    select distinct
        invoice_id,
        {{ normalize_reference_key('reference_word') }} as reference_key
    from reference_words

),

final as (

    select distinct
        reference_tokens.invoice_id,
        deal_keys.deal_id,
        deal_keys.key_type || ' ' || deal_keys.key_value || ' of ' || deal_keys.deal_id as key_evidence
    from reference_tokens
    inner join deal_keys
        on deal_keys.reference_key = reference_tokens.reference_key

)

select * from final
