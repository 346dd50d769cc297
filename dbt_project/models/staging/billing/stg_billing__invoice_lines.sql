with

source as (

    select * from {{ source('billing', 'invoice_lines') }}

),

renamed as (

    select
        'billing:' || trim(invoice_id) as invoice_id,
        cast(line_number as integer) as line_number,
        nullif(trim(description), '') as description,
        cast(quantity as decimal(18, 4)) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(line_amount as decimal(18, 2)) as line_amount,
        cast(vat_rate as decimal(5, 2)) as vat_rate,
        {{ lineage_columns() }}

    from source

)

select * from renamed
