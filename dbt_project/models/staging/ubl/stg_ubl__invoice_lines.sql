-- UBL invoice and credit note lines in the shape of stg_billing__invoice_lines, keyed to their document as
-- stg_ubl__invoices keys it; a credit note's lines (amount and quantity) turn negative.
with

source as (

    select * from {{ source('ubl', 'invoice_lines') }}

),

renamed as (

    select
        {{ source_key('ubl', "trim(document_id) || '@' || left(_content_hash, 12)") }} as invoice_id,
        line_number,
        {{ collapse_spaces('coalesce(item_name, item_description, note)') }} as description,
        case when document_type = 'credit_note' then -quantity else quantity end as quantity,
        cast(price_amount as decimal(18, 2)) as unit_price,
        case when document_type = 'credit_note' then -line_extension_amount else line_extension_amount end as line_amount,
        vat_rate,
        quantity__raw,
        price_amount__raw as unit_price__raw,
        line_extension_amount__raw as line_amount__raw,
        vat_rate__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
