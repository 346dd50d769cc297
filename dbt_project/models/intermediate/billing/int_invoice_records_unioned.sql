-- Every exported billing document row of every billing source (generic billing, QuickBooks, Stripe, UBL)
-- in the columns of stg_billing__invoices. A document whose latest exported state is deleted in its
-- source (a QuickBooks invoice deleted, a Stripe credit note voided) is left out with all its rows: an
-- earlier export's copy must not bring it back.
{{ rebuilt_on_new_loads() }}

with

document_rows as (

    {{ union_conformed(
        ['stg_quickbooks__invoices', 'stg_quickbooks__credit_memos', 'stg_stripe__invoices', 'stg_stripe__credit_notes', 'stg_ubl__invoices'],
        [
            'invoice_id', 'is_deleted', 'export_date', 'source_row', 'load_id',
        ],
    ) | indent(4) }}

),

latest_document_rows as (

    select
        invoice_id,
        is_deleted,
        row_number() over (
            partition by invoice_id
            order by export_date desc, source_row desc, load_id desc
        ) as state_rank
    from document_rows

),

deleted_documents as (

    select invoice_id
    from latest_document_rows
    where state_rank = 1
      and is_deleted

),

unioned as (

    {{ union_conformed(
        ['stg_billing__invoices', 'stg_quickbooks__invoices', 'stg_quickbooks__credit_memos', 'stg_stripe__invoices', 'stg_stripe__credit_notes', 'stg_ubl__invoices'],
        [
            'invoice_id', 'source_system', 'source_invoice_id', 'invoice_number', 'invoice_type', 'customer_id',
            'customer_name', 'customer_kvk', 'invoice_date', 'due_date', 'currency', 'net_amount', 'vat_amount',
            'total_amount', 'reference', 'corrects_invoice_number',
            'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
        ],
    ) | indent(4) }}

),

final as (

    select unioned.*
    from unioned
    left join deleted_documents
        on deleted_documents.invoice_id = unioned.invoice_id
    where deleted_documents.invoice_id is null

)

select * from final
{{- unless_kept_as_built() }}
