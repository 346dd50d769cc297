-- Every stage change of a CRM deal record once, although each daily export repeats the whole history:
-- one row per deal record, stage and change time, with the lineage of the first export it appeared in
-- and the amount of the latest. Rows without a deal, stage or change time name no change and are left out.
-- Incremental: only loads not merged before are read; each change they repeat is decided again among its
-- new rows and its stored first and latest sighting, so the result is a full rebuild's in any load order.
{{ merged_from_new_loads('stage_change_id', ['int_deal_stage_changes_unioned']) }}

with

stage_change_rows as (

    select * from {{ ref('int_deal_stage_changes_unioned') }}
    {{ new_loads_only() }}

),

new_sightings as (

    select
        {{ surrogate_key(['deal_id', 'stage', 'changed_at']) }} as stage_change_id,
        deal_id,
        stage,
        changed_at,
        export_date as first_export_date,
        source_row as first_source_row,
        load_id as first_load_id,
        source_file as first_source_file,
        export_date as latest_export_date,
        source_row as latest_source_row,
        load_id as latest_load_id,
        amount
    from stage_change_rows
    where deal_id is not null
        and stage is not null
        and changed_at is not null

),

sightings as (

    select * from new_sightings

    {% if is_incremental_from_loads() %}
    union all

    select
        stage_change_id,
        deal_id,
        stage,
        changed_at,
        first_export_date,
        first_source_row,
        first_load_id,
        first_source_file,
        latest_export_date,
        latest_source_row,
        latest_load_id,
        amount
    from {{ this }}
    where stage_change_id in (select stage_change_id from new_sightings)
    {% endif %}

),

ranked as (

    select
        sightings.*,
        row_number() over (
            partition by stage_change_id
            order by first_export_date, first_source_row, first_load_id
        ) as first_seen_rank,
        row_number() over (
            partition by stage_change_id
            order by latest_export_date desc, latest_source_row desc, latest_load_id desc
        ) as latest_rank
    from sightings

),

first_seen as (

    select * from ranked where first_seen_rank = 1

),

latest as (

    select * from ranked where latest_rank = 1

),

final as (

    select
        first_seen.stage_change_id,
        first_seen.deal_id,
        first_seen.stage,
        first_seen.changed_at,
        first_seen.first_export_date,
        first_seen.first_source_row,
        first_seen.first_load_id,
        first_seen.first_source_file,
        latest.latest_export_date,
        latest.latest_source_row,
        latest.latest_load_id,
        latest.amount
    from first_seen
    inner join latest
        on latest.stage_change_id = first_seen.stage_change_id

)

select * from final
