with

source as (

    select * from {{ source('crm', 'deal_stage_history') }}

),

renamed as (

    select
        'crm:' || trim(deal_id) as deal_id,
        trim(deal_id) as source_deal_id,
        nullif(trim(stage), '') as stage,
        cast(amount as decimal(18, 2)) as amount,
        cast(changed_at as timestamp) as changed_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
