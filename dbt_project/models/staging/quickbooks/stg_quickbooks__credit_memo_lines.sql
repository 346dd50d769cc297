-- QuickBooks credit memo lines in the shape of stg_billing__invoice_lines, negative like their credit
-- memo ('quickbooks:CM<id>'). Subtotal lines (a sub_total_item_id) are left out, as on invoices.
with

source as (

    select * from {{ source('quickbooks', 'credit_memo_lines') }}

),

renamed as (

    select
        {{ source_key('quickbooks', "'CM' || trim(credit_memo_id)") }} as invoice_id,
        index as line_number,
        nullif(trim(description), '') as description,
        cast(-sales_item_quantity as decimal(18, 4)) as quantity,
        cast(sales_item_unit_price as decimal(18, 2)) as unit_price,
        -amount as line_amount,
        cast(null as decimal(5, 2)) as vat_rate,
        amount__raw as line_amount__raw,
        {{ lineage_columns() }}

    from source
    where sub_total_item_id is null

)

select * from renamed
