-- Stripe invoice line items in the shape of stg_billing__invoice_lines, amounts in currency units. Stripe
-- numbers no lines: line_number is the line's position among its invoice's lines in the export.
with

source as (

    select * from {{ source('stripe', 'invoice_line_items') }}

),

renamed as (

    select
        {{ source_key('stripe', 'invoice_id') }} as invoice_id,
        cast(row_number() over (partition by _content_hash, trim(invoice_id) order by _row_number) as integer) as line_number,
        nullif(trim(description), '') as description,
        cast(quantity as decimal(18, 4)) as quantity,
        {{ minor_units_to_amount('unit_amount_excluding_tax', 'currency') }} as unit_price,
        {{ minor_units_to_amount('amount', 'currency') }} as line_amount,
        cast(null as decimal(5, 2)) as vat_rate,
        amount as line_amount_minor_units,
        {{ lineage_columns() }}

    from source

)

select * from renamed
