-- QuickBooks credit memos in the shape of stg_billing__invoices: invoice_type credit_note, amounts
-- negative (as the generic billing export writes credit notes). Credit memo ids are their own number
-- range, hence 'quickbooks:CM<id>'. A credit memo names no invoice it corrects.
with

source as (

    select * from {{ source('quickbooks', 'credit_memos') }}

),

customers as (

    select * from {{ ref('stg_quickbooks__customers') }}

),

renamed as (

    select
        {{ source_key('quickbooks', "'CM' || trim(source.id)") }} as invoice_id,
        'quickbooks' as source_system,
        trim(source.id) as source_invoice_id,
        nullif(trim(source.doc_number), '') as invoice_number,
        'credit_note' as invoice_type,
        {{ source_key('quickbooks', 'source.customer_id') }} as customer_id,
        customers.customer_name,
        cast(null as {{ dbt.type_string() }}) as customer_kvk,
        source.transaction_date as invoice_date,
        cast(null as date) as due_date,
        upper(nullif(trim(source.currency_id), '')) as currency,
        cast(-(source.total_amount - coalesce(source.total_tax, 0)) as decimal(18, 2)) as net_amount,
        -source.total_tax as vat_amount,
        -source.total_amount as total_amount,
        nullif(concat_ws(' ', nullif(trim(source.custom_p_o_number), ''), nullif(trim(source.customer_memo), '')), '') as reference,
        cast(null as {{ dbt.type_string() }}) as corrects_invoice_number,
        coalesce(source._fivetran_deleted, false) as is_deleted,
        source.transaction_date__raw as invoice_date__raw,
        cast(null as {{ dbt.type_string() }}) as due_date__raw,
        source.total_tax__raw as vat_amount__raw,
        source.total_amount__raw,
        {{ lineage_columns('source') }}

    from source
    left join customers
        on customers.customer_id = {{ source_key('quickbooks', 'source.customer_id') }}

)

select * from renamed
