-- Opportunities in Fivetran history mode (one row per version, valid from _fivetran_start) as stage
-- changes in the shape of stg_crm__deal_stage_changes: a version counts when it enters a stage, i.e. its
-- stage differs from the previous version's in the same export.
with

source as (

    select * from {{ source('salesforce', 'opportunity_versions') }}

),

sequenced as (

    select
        source.*,
        lag(stage_name) over (
            partition by _content_hash, id
            order by _fivetran_start, _row_number
        ) as previous_stage_name
    from source

),

renamed as (

    select
        {{ source_key('salesforce', 'id') }} as deal_id,
        trim(id) as source_deal_id,
        nullif(trim(stage_name), '') as stage,
        amount,
        _fivetran_start as changed_at,
        amount__raw,
        _fivetran_start__raw as changed_at__raw,
        {{ lineage_columns() }}

    from sequenced
    where previous_stage_name is null
       or previous_stage_name <> stage_name

)

select * from renamed
