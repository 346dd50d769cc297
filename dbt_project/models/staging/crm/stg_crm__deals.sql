with

source as (

    select * from {{ source('crm', 'deals') }}

),

renamed as (

    select
        'crm:' || trim(deal_id) as deal_id,
        'crm' as source_system,
        trim(deal_id) as source_deal_id,
        nullif(trim(deal_name), '') as deal_name,
        'crm:' || nullif(trim(account_id), '') as account_id,
        'crm:' || nullif(trim(owner_id), '') as owner_id,
        nullif(trim(stage), '') as stage,
        cast(amount as decimal(18, 2)) as amount,
        upper(nullif(trim(currency), '')) as currency,
        cast(expected_close_date as date) as expected_close_date,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        lower(nullif(trim(lead_source), '')) as lead_source,
        'crm:' || nullif(trim(referrer_account_id), '') as referrer_account_id,
        nullif(trim(lost_reason), '') as lost_reason,
        upper(nullif(trim(quote_number), '')) as quote_number,
        upper(nullif(trim(po_number), '')) as po_number,
        'crm:' || nullif(trim(merged_into_deal_id), '') as merged_into_deal_id,
        coalesce(is_deleted, false) as is_deleted,
        {{ lineage_columns() }}

    from source

)

select * from renamed
