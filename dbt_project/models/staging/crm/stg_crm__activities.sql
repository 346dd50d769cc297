with

source as (

    select * from {{ source('crm', 'activities') }}

),

renamed as (

    select
        'crm:' || trim(activity_id) as activity_id,
        trim(activity_id) as source_activity_id,
        'crm:' || nullif(trim(deal_id), '') as deal_id,
        'crm:' || nullif(trim(contact_id), '') as contact_id,
        'crm:' || nullif(trim(owner_id), '') as owner_id,
        lower(nullif(trim(activity_type), '')) as activity_type,
        cast(activity_at as timestamp) as activity_at,
        cast(duration_minutes as integer) as duration_minutes,
        {{ lineage_columns() }}

    from source

)

select * from renamed
