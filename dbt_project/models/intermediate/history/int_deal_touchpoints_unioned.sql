-- The dates a deal record was worked on or signed, in the shape the staleness and booking rules need: one
-- row per deal record, kind ('activity', 'stage_change', 'contract_signed': a change into a stage whose
-- milestone is contract_signed) and date, with known_from_date, the first day it was both
-- in an export and not in the future (max(event date, first export date showing it)). "As of D" uses
-- only rows with known_from_date <= D, so a late-exported activity does not rewrite earlier days.
-- Incremental: the loads not merged before give their touchpoints, each merged with its stored row by the
-- earliest known_from_date (a minimum in any order of loads, so the same as a full build). An edited
-- stage_milestones (which stages are signatures) builds it again from every load.
{{ merged_from_new_loads(['deal_id', 'touchpoint_kind', 'touchpoint_date'], ['stg_crm__activities', 'stg_crm__deal_stage_changes']) }}

with

activity_rows as (

    select * from {{ ref('stg_crm__activities') }}
    {{ new_loads_only() }}

),

stage_change_rows as not materialized (

    select * from {{ ref('stg_crm__deal_stage_changes') }}
    {{ new_loads_only() }}

),

stage_milestones as (

    select * from {{ ref('stage_milestones') }}

),

activities as (

    select
        deal_id,
        'activity' as touchpoint_kind,
        cast(activity_at as date) as touchpoint_date,
        min(export_date) as first_export_date
    from activity_rows
    where deal_id is not null
      and activity_at is not null
    group by
        deal_id,
        cast(activity_at as date)

),

stage_changes as (

    select
        deal_id,
        'stage_change' as touchpoint_kind,
        cast(changed_at as date) as touchpoint_date,
        min(export_date) as first_export_date
    from stage_change_rows
    where deal_id is not null
      and changed_at is not null
    group by
        deal_id,
        cast(changed_at as date)

),

signatures as (

    select
        stage_change_rows.deal_id,
        'contract_signed' as touchpoint_kind,
        cast(stage_change_rows.changed_at as date) as touchpoint_date,
        min(stage_change_rows.export_date) as first_export_date
    from stage_change_rows
    inner join stage_milestones
        on stage_milestones.source_system = 'crm'
        and lower(stage_milestones.stage_name) = lower(stage_change_rows.stage)
    where stage_milestones.milestone = 'contract_signed'
      and stage_change_rows.deal_id is not null
      and stage_change_rows.changed_at is not null
    group by
        stage_change_rows.deal_id,
        cast(stage_change_rows.changed_at as date)

),

unioned as (

    select * from activities
    union all
    select * from stage_changes
    union all
    select * from signatures

),

new_touchpoints as (

    select
        deal_id,
        touchpoint_kind,
        touchpoint_date,
        greatest(touchpoint_date, first_export_date) as known_from_date
    from unioned

),

final as (

    {% if is_incremental_from_loads() %}
    select
        deal_id,
        touchpoint_kind,
        touchpoint_date,
        min(known_from_date) as known_from_date
    from (
        select * from new_touchpoints
        union all
        select stored.*
        from {{ this }} as stored
        semi join new_touchpoints
            on new_touchpoints.deal_id = stored.deal_id
            and new_touchpoints.touchpoint_kind = stored.touchpoint_kind
            and new_touchpoints.touchpoint_date = stored.touchpoint_date
    )
    group by
        deal_id,
        touchpoint_kind,
        touchpoint_date
    {% else %}
    select * from new_touchpoints
    {% endif %}

)

select * from final
