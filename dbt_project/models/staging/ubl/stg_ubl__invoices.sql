-- UBL / Peppol invoices and credit notes in the shape of stg_billing__invoices. A credit note's amounts
-- turn negative (as the generic billing export writes credit notes), and it corrects the invoice its
-- BillingReference names. A document number (cbc:ID) is unique per supplier only, and a UBL document is
-- immutable (a correction is a new document), so the document's key is its number with its content hash:
-- 'ubl:<ID>@<first 12 hex digits of the file's sha256>'.
with

source as (

    select * from {{ source('ubl', 'invoices') }}

),

renamed as (

    select
        {{ source_key('ubl', "trim(document_id) || '@' || left(_content_hash, 12)") }} as invoice_id,
        'ubl' as source_system,
        trim(document_id) as source_invoice_id,
        trim(document_id) as invoice_number,
        case when document_type = 'credit_note' then 'credit_note' else 'invoice' end as invoice_type,
        {{ source_key('ubl', "coalesce(customer_vat, customer_company_id, customer_id, customer_endpoint_id)") }} as customer_id,
        {{ collapse_spaces('coalesce(customer_registration_name, customer_name)') }} as customer_name,
        case when customer_company_id_scheme = '0106' then {{ digits_only('customer_company_id') }} end as customer_kvk,
        issue_date as invoice_date,
        due_date,
        upper(nullif(trim(currency), '')) as currency,
        case when document_type = 'credit_note' then -net_amount else net_amount end as net_amount,
        case when document_type = 'credit_note' then -tax_amount else tax_amount end as vat_amount,
        case when document_type = 'credit_note' then -tax_inclusive_amount else tax_inclusive_amount end as total_amount,
        nullif(concat_ws(' ', order_reference, contract_reference, project_reference, buyer_reference), '') as reference,
        nullif(trim(billing_reference), '') as corrects_invoice_number,
        false as is_deleted,
        issue_date__raw as invoice_date__raw,
        due_date__raw,
        net_amount__raw,
        tax_amount__raw as vat_amount__raw,
        tax_inclusive_amount__raw as total_amount__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
