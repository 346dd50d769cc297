with

source as (

    select * from {{ source('billing', 'invoices') }}

),

renamed as (

    select
        'billing:' || trim(invoice_id) as invoice_id,
        'billing' as source_system,
        trim(invoice_id) as source_invoice_id,
        trim(invoice_number) as invoice_number,
        lower(nullif(trim(invoice_type), '')) as invoice_type,
        'billing:' || nullif(trim(customer_id), '') as customer_id,
        {{ collapse_spaces('customer_name') }} as customer_name,
        {{ digits_only('customer_kvk') }} as customer_kvk,
        cast(invoice_date as date) as invoice_date,
        cast(due_date as date) as due_date,
        upper(nullif(trim(currency), '')) as currency,
        cast(net_amount as decimal(18, 2)) as net_amount,
        cast(vat_amount as decimal(18, 2)) as vat_amount,
        cast(total_amount as decimal(18, 2)) as total_amount,
        nullif(trim(reference), '') as reference,
        nullif(trim(corrects_invoice_number), '') as corrects_invoice_number,
        {{ lineage_columns() }}

    from source

)

select * from renamed
