-- The OpportunityHistory object in the shape of stg_crm__deal_stage_changes: one row per recorded change
-- (stage, amount or close date); int_deal_stage_changes_deduplicated keeps each stage change once.
with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        {{ source_key('salesforce', 'opportunity_id') }} as deal_id,
        trim(opportunity_id) as source_deal_id,
        nullif(trim(stage_name), '') as stage,
        amount,
        created_date as changed_at,
        amount__raw,
        created_date__raw as changed_at__raw,
        {{ lineage_columns() }}

    from source
    where not coalesce(is_deleted, false)

)

select * from renamed
