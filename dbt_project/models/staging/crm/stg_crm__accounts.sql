with

source as (

    select * from {{ source('crm', 'accounts') }}

),

renamed as (

    select
        'crm:' || trim(account_id) as account_id,
        trim(account_id) as source_account_id,
        {{ collapse_spaces('account_name') }} as account_name,
        {{ digits_only('kvk_number') }} as kvk_number,
        upper(replace(nullif(trim(vat_number), ''), ' ', '')) as vat_number,
        nullif(trim(city), '') as city,
        nullif(trim(industry), '') as industry,
        'crm:' || nullif(trim(referred_by_account_id), '') as referred_by_account_id,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
