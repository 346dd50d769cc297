-- Stripe credit note lines in the shape of stg_billing__invoice_lines: negative, in the currency units of
-- their credit note, numbered by position as invoice line items are.
with

source as (

    select * from {{ source('stripe', 'credit_note_line_items') }}

),

credit_note_currencies as (

    select
        trim(id) as credit_note_id,
        max(currency) as currency
    from {{ source('stripe', 'credit_notes') }}
    group by trim(id)

),

renamed as (

    select
        {{ source_key('stripe', 'source.credit_note_id') }} as invoice_id,
        cast(row_number() over (
            partition by source._content_hash, trim(source.credit_note_id)
            order by source._row_number
        ) as integer) as line_number,
        nullif(trim(source.description), '') as description,
        cast(-source.quantity as decimal(18, 4)) as quantity,
        {{ minor_units_to_amount('source.unit_amount', 'credit_note_currencies.currency') }} as unit_price,
        -{{ minor_units_to_amount('source.amount', 'credit_note_currencies.currency') }} as line_amount,
        cast(null as decimal(5, 2)) as vat_rate,
        source.amount as line_amount_minor_units,
        {{ lineage_columns('source') }}

    from source
    left join credit_note_currencies
        on credit_note_currencies.credit_note_id = trim(source.credit_note_id)

)

select * from renamed
