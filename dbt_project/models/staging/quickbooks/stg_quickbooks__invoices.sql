-- QuickBooks invoices in the shape of stg_billing__invoices. The id is the document's key: two invoices
-- printed with one doc_number keep their own ids and stay two documents. Net = total - tax. Deleted
-- invoices (_fivetran_deleted) are flagged is_deleted; int_invoice_records_unioned drops them.
with

source as (

    select * from {{ source('quickbooks', 'invoices') }}

),

customers as (

    select * from {{ ref('stg_quickbooks__customers') }}

),

renamed as (

    select
        {{ source_key('quickbooks', 'source.id') }} as invoice_id,
        'quickbooks' as source_system,
        trim(source.id) as source_invoice_id,
        nullif(trim(source.doc_number), '') as invoice_number,
        'invoice' as invoice_type,
        {{ source_key('quickbooks', 'source.customer_id') }} as customer_id,
        customers.customer_name,
        cast(null as {{ dbt.type_string() }}) as customer_kvk,
        source.transaction_date as invoice_date,
        source.due_date,
        upper(nullif(trim(source.currency_id), '')) as currency,
        cast(source.total_amount - coalesce(source.total_tax, 0) as decimal(18, 2)) as net_amount,
        source.total_tax as vat_amount,
        source.total_amount,
        nullif(concat_ws(' ', nullif(trim(source.custom_p_o_number), ''), nullif(trim(source.customer_memo), '')), '') as reference,
        cast(null as {{ dbt.type_string() }}) as corrects_invoice_number,
        coalesce(source._fivetran_deleted, false) as is_deleted,
        source.transaction_date__raw as invoice_date__raw,
        source.due_date__raw,
        source.total_tax__raw as vat_amount__raw,
        source.total_amount__raw,
        {{ lineage_columns('source') }}

    from source
    left join customers
        on customers.customer_id = {{ source_key('quickbooks', 'source.customer_id') }}

)

select * from renamed
