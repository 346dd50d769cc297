-- QuickBooks customers, the latest exported state of each: the name invoices and credit memos are billed
-- to (company name, else display name). PII (e-mail, phone) is not passed on.
with

source as (

    select * from {{ source('quickbooks', 'customers') }}

),

ranked as (

    select
        source.*,
        row_number() over (
            partition by trim(id)
            order by _export_date desc, updated_at desc nulls last, _row_number desc
        ) as state_rank
    from source

),

renamed as (

    select
        {{ source_key('quickbooks', 'id') }} as customer_id,
        trim(id) as source_customer_id,
        {{ collapse_spaces("coalesce(nullif(trim(company_name), ''), display_name, fully_qualified_name)") }} as customer_name,
        {{ lineage_columns() }}

    from ranked
    where state_rank = 1

)

select * from renamed
