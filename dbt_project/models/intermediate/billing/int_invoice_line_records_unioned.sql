-- Every exported billing document line of every billing source in the columns of
-- stg_billing__invoice_lines (QuickBooks subtotal lines are not lines: staging leaves them out). The lines
-- of a document int_invoice_records_unioned leaves out as deleted are left out too; lines of a document
-- never exported stay (nothing is dropped for a missing parent).
{{ rebuilt_on_new_loads() }}

with

unioned as (

    {{ union_conformed(
        [
            'stg_billing__invoice_lines',
            'stg_quickbooks__invoice_lines',
            'stg_quickbooks__credit_memo_lines',
            'stg_stripe__invoice_line_items',
            'stg_stripe__credit_note_line_items',
            'stg_ubl__invoice_lines',
        ],
        [
            'invoice_id', 'line_number', 'description', 'quantity', 'unit_price', 'line_amount', 'vat_rate',
            'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
        ],
    ) | indent(4) }}

),

deleted_documents as (

    {%- for document_model in [
        'stg_quickbooks__invoices',
        'stg_quickbooks__credit_memos',
        'stg_stripe__invoices',
        'stg_stripe__credit_notes',
    ] %}
    select invoice_id
    from {{ ref(document_model) }}
    where is_deleted
    union
    {%- endfor %}
    select invoice_id
    from {{ ref('stg_ubl__invoices') }}
    where is_deleted
    except
    select invoice_id
    from {{ ref('int_invoice_records_unioned') }}

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
