{% macro quickbooks_document(source_table, invoice_type, id_prefix='', sign=1) -%}
    {#-
        A QuickBooks invoice or credit memo (same fields) in the shape of stg_billing__invoices: the id is
        the document's key ('quickbooks:<prefix><Id>': credit memo ids are a number range of their own),
        net = total - tax, amounts times `sign` (credit notes are negative), the customer's name from
        stg_quickbooks__customers, the PO number and customer memo as the reference. Deleted documents
        (_fivetran_deleted) are flagged is_deleted.
    -#}
with

source as (

    select * from {{ source('quickbooks', source_table) }}

),

customers as (

    select * from {{ ref('stg_quickbooks__customers') }}

),

renamed as (

    select
        {{ source_key('quickbooks', "'" ~ id_prefix ~ "' || trim(source.id)") }} as invoice_id,
        'quickbooks' as source_system,
        trim(source.id) as source_invoice_id,
        nullif(trim(source.doc_number), '') as invoice_number,
        '{{ invoice_type }}' as invoice_type,
        {{ source_key('quickbooks', 'source.customer_id') }} as customer_id,
        customers.customer_name,
        cast(null as {{ dbt.type_string() }}) as customer_kvk,
        source.transaction_date as invoice_date,
        {{ 'source.due_date' if invoice_type == 'invoice' else 'cast(null as date)' }} as due_date,
        upper(nullif(trim(source.currency_id), '')) as currency,
        cast({{ sign }} * (source.total_amount - coalesce(source.total_tax, 0)) as decimal(18, 2)) as net_amount,
        cast({{ sign }} * source.total_tax as decimal(18, 2)) as vat_amount,
        cast({{ sign }} * source.total_amount as decimal(18, 2)) as total_amount,
        nullif(concat_ws(' ', nullif(trim(source.custom_p_o_number), ''), nullif(trim(source.customer_memo), '')), '') as reference,
        cast(null as {{ dbt.type_string() }}) as corrects_invoice_number,
        coalesce(source._fivetran_deleted, false) as is_deleted,
        source.transaction_date__raw as invoice_date__raw,
        source.total_tax__raw as vat_amount__raw,
        source.total_amount__raw,
        {{ lineage_columns('source') }}

    from source
    left join customers
        on customers.customer_id = {{ source_key('quickbooks', 'source.customer_id') }}

)

select * from renamed
{%- endmacro %}
