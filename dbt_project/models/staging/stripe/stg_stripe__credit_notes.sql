-- Stripe credit notes in the shape of stg_billing__invoices: invoice_type credit_note, amounts negative
-- and in currency units; corrects_invoice_number is the number of the invoice it credits (its Stripe id
-- when that invoice was never exported). Voided credit notes are flagged is_deleted.
with

source as (

    select * from {{ source('stripe', 'credit_notes') }}

),

invoices as (

    select
        trim(id) as invoice_id,
        max(nullif(trim(number), '')) as invoice_number
    from {{ source('stripe', 'invoices') }}
    group by trim(id)

),

renamed as (

    select
        {{ source_key('stripe', 'source.id') }} as invoice_id,
        'stripe' as source_system,
        trim(source.id) as source_invoice_id,
        coalesce(nullif(trim(source.number), ''), trim(source.id)) as invoice_number,
        'credit_note' as invoice_type,
        {{ source_key('stripe', 'source.customer_id') }} as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        cast(null as {{ dbt.type_string() }}) as customer_kvk,
        cast(source.created as date) as invoice_date,
        cast(null as date) as due_date,
        upper(nullif(trim(source.currency), '')) as currency,
        -{{ minor_units_to_amount('coalesce(source.subtotal, source.total)', 'source.currency') }} as net_amount,
        -{{ minor_units_to_amount('source.total - coalesce(source.subtotal, source.total)', 'source.currency') }} as vat_amount,
        -{{ minor_units_to_amount('source.total', 'source.currency') }} as total_amount,
        nullif(trim(source.memo), '') as reference,
        coalesce(invoices.invoice_number, nullif(trim(source.invoice_id), '')) as corrects_invoice_number,
        source.status = 'void' or source.voided_at is not null as is_deleted,
        source.created__raw as invoice_date__raw,
        cast(null as {{ dbt.type_string() }}) as due_date__raw,
        source.total as total_amount_minor_units,
        {{ lineage_columns('source') }}

    from source
    left join invoices
        on invoices.invoice_id = trim(source.invoice_id)

)

select * from renamed
