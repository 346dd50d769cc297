-- QuickBooks invoice lines in the shape of stg_billing__invoice_lines. A SubTotalLineDetail line repeats
-- the sum of the item lines above it: it is not a line of its own and is left out, so summing the lines
-- never counts an amount twice. A DiscountLineDetail line reduces the invoice: its amount turns negative.
with

source as (

    select * from {{ source('quickbooks', 'invoice_lines') }}

),

renamed as (

    select
        {{ source_key('quickbooks', 'invoice_id') }} as invoice_id,
        index as line_number,
        nullif(trim(description), '') as description,
        cast(coalesce(sales_item_quantity, quantity) as decimal(18, 4)) as quantity,
        cast(sales_item_unit_price as decimal(18, 2)) as unit_price,
        case when detail_type = 'DiscountLineDetail' then -amount else amount end as line_amount,
        cast(null as decimal(5, 2)) as vat_rate,
        detail_type,
        amount__raw as line_amount__raw,
        {{ lineage_columns() }}

    from source
    where coalesce(detail_type, '') <> 'SubTotalLineDetail'

)

select * from renamed
