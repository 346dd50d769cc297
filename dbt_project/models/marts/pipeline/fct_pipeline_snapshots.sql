-- The open pipeline as it stood at the end of every day of the export history: one row per day and open
-- deal record (deleted, merged-away, won, lost and unmapped records are not pipeline), with its amount,
-- weighted amount (amount_eur * stage probability, 0..1) and staleness as of that day. Staleness: no
-- activity, or no stage change, for at least the stage's threshold in days (seeds/stale_thresholds.csv,
-- per milestone), or an expected close date before the day. Days without a touchpoint count from the
-- creation date. Nothing here depends on when the model is built.
with

deal_states as (

    select * from {{ ref('int_deal_states_historized') }}

),

touchpoints as (

    select * from {{ ref('int_deal_touchpoints_unioned') }}

),

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

stale_thresholds as (

    select * from {{ ref('stale_thresholds') }}

),

periods as (

    select * from {{ ref('dim_pipeline_periods') }}

),

days as (

    select period_start_date as date_day
    from periods
    where period_grain = 'day'

),

open_on_day as (

    select
        days.date_day,
        deal_states.*
    from days
    inner join deal_states
        on deal_states.valid_from <= days.date_day
        and (deal_states.valid_to is null or deal_states.valid_to > days.date_day)
    where deal_states.is_pipeline

),

last_touchpoints as (

    select
        open_on_day.date_day,
        open_on_day.deal_id,
        max(case when touchpoints.touchpoint_kind = 'activity' then touchpoints.touchpoint_date end) as last_activity_date,
        max(case when touchpoints.touchpoint_kind = 'stage_change' then touchpoints.touchpoint_date end) as last_stage_change_date
    from open_on_day
    inner join touchpoints
        on touchpoints.deal_id = open_on_day.deal_id
        and touchpoints.known_from_date <= open_on_day.date_day
    group by
        open_on_day.date_day,
        open_on_day.deal_id

),

with_ages as (

    select
        open_on_day.*,
        users.team,
        last_touchpoints.last_activity_date,
        last_touchpoints.last_stage_change_date,
        {{ dbt.datediff(
            'coalesce(last_touchpoints.last_activity_date, cast(open_on_day.created_at as date))',
            'open_on_day.date_day',
            'day',
        ) }} as days_since_last_activity,
        {{ dbt.datediff(
            'coalesce(last_touchpoints.last_stage_change_date, cast(open_on_day.created_at as date))',
            'open_on_day.date_day',
            'day',
        ) }} as days_since_stage_change,
        stale_thresholds.max_days_without_activity,
        stale_thresholds.max_days_in_stage
    from open_on_day
    left join last_touchpoints
        on last_touchpoints.date_day = open_on_day.date_day
        and last_touchpoints.deal_id = open_on_day.deal_id
    left join users
        on users.owner_id = open_on_day.owner_id
    left join stale_thresholds
        on stale_thresholds.milestone = open_on_day.milestone

),

with_flags as (

    select
        with_ages.*,
        coalesce(days_since_last_activity >= max_days_without_activity, false) as is_stale_no_activity,
        coalesce(days_since_stage_change >= max_days_in_stage, false) as is_stale_no_stage_change,
        coalesce(expected_close_date < date_day, false) as is_past_close_date
    from with_ages

),

final as (

    select
        cast(date_day as date) as date_day,
        cast(deal_id as varchar) as deal_id,
        cast(deal_version_id as varchar) as deal_version_id,
        cast(source_system as varchar) as source_system,
        cast(owner_id as varchar) as owner_id,
        cast(team as varchar) as team,
        cast(lead_source as varchar) as lead_source,
        cast(stage as varchar) as stage,
        cast(milestone as varchar) as milestone,
        cast(stage_probability as decimal(5, 2)) as stage_probability,
        cast(expected_close_date as date) as expected_close_date,
        cast(amount as decimal(18, 2)) as amount,
        cast(currency as varchar) as currency,
        cast(amount_eur as decimal(18, 2)) as amount_eur,
        cast(round(amount_eur * stage_probability, 2) as decimal(18, 2)) as weighted_amount_eur,
        cast(last_activity_date as date) as last_activity_date,
        cast(days_since_last_activity as integer) as days_since_last_activity,
        cast(last_stage_change_date as date) as last_stage_change_date,
        cast(days_since_stage_change as integer) as days_since_stage_change,
        cast(max_days_without_activity as integer) as max_days_without_activity,
        cast(max_days_in_stage as integer) as max_days_in_stage,
        cast(is_stale_no_activity as boolean) as is_stale_no_activity,
        cast(is_stale_no_stage_change as boolean) as is_stale_no_stage_change,
        cast(is_past_close_date as boolean) as is_past_close_date,
        cast(is_stale_no_activity or is_stale_no_stage_change or is_past_close_date as boolean) as is_stale,
        cast(case when is_stale_no_activity or is_stale_no_stage_change or is_past_close_date then amount_eur else 0 end as decimal(18, 2)) as stale_amount_eur
    from with_flags

)

select * from final
