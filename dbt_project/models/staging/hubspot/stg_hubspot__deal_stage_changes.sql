-- HubSpot deal stage history in the shape of stg_crm__deal_stage_changes: the stage (`value`, a pipeline
-- stage id) a deal entered at date_entered (else the start of the history row).
with

source as (

    select * from {{ source('hubspot', 'deal_stages') }}

),

renamed as (

    select
        {{ source_key('hubspot', 'deal_id') }} as deal_id,
        trim(deal_id) as source_deal_id,
        nullif(trim(value), '') as stage,
        cast(null as decimal(18, 2)) as amount,
        coalesce(date_entered, _fivetran_start) as changed_at,
        coalesce(date_entered__raw, _fivetran_start__raw) as changed_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
