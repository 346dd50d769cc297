-- Stripe invoices in the shape of stg_billing__invoices: amounts from minor units (cents) to currency
-- units (macro minor_units_to_amount), currency upper case, net = total - tax. The invoice date is its
-- creation, else its finalisation, else the end of the period it bills (exports without `created`).
with

source as (

    select * from {{ source('stripe', 'invoices') }}

),

renamed as (

    select
        {{ source_key('stripe', 'id') }} as invoice_id,
        'stripe' as source_system,
        trim(id) as source_invoice_id,
        coalesce(nullif(trim(number), ''), trim(id)) as invoice_number,
        'invoice' as invoice_type,
        {{ source_key('stripe', 'customer_id') }} as customer_id,
        {{ collapse_spaces('customer_name') }} as customer_name,
        cast(null as {{ dbt.type_string() }}) as customer_kvk,
        cast(coalesce(created, status_transitions_finalized_at, period_end) as date) as invoice_date,
        cast(due_date as date) as due_date,
        upper(nullif(trim(currency), '')) as currency,
        {{ minor_units_to_amount('total - coalesce(tax, 0)', 'currency') }} as net_amount,
        {{ minor_units_to_amount('tax', 'currency') }} as vat_amount,
        {{ minor_units_to_amount('total', 'currency') }} as total_amount,
        nullif(trim(description), '') as reference,
        cast(null as {{ dbt.type_string() }}) as corrects_invoice_number,
        coalesce(is_deleted, false) as is_deleted,
        coalesce(created__raw, status_transitions_finalized_at__raw, period_end__raw) as invoice_date__raw,
        due_date__raw,
        total as total_amount_minor_units,
        {{ lineage_columns() }}

    from source

)

select * from renamed
