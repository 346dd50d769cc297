-- Open pipeline per period and dimension value, as it stood at the period's as_of_date (its last day, or
-- the last export date while it runs): count, value and weighted value of the open deals, and the stale
-- part of it (fct_pipeline_snapshots). Every period of dim_pipeline_periods has a row for every value a
-- dimension ever had in the pipeline: an empty one has counts and sums 0 and ratios NULL.
with

periods as not materialized (

    select * from {{ ref('dim_pipeline_periods') }}

),

snapshots as not materialized (

    select * from {{ ref('fct_pipeline_snapshots') }}

),

dimensions as not materialized (

    select * from {{ ref('int_deal_state_dimensions_unpivoted') }}

),

dimension_values as (

    -- 'all' always, so the total has every period even before anything was open.
    select
        'all' as dimension_name,
        'all' as dimension_value
    union
    select
        dimensions.dimension_name,
        dimensions.dimension_value
    from dimensions
    inner join snapshots
        on snapshots.deal_version_id = dimensions.deal_version_id

),

measured as (

    select
        periods.period_grain,
        periods.period_start_date,
        dimensions.dimension_name,
        dimensions.dimension_value,
        count(*) as open_deal_count,
        sum(snapshots.amount_eur) as open_pipeline_eur,
        sum(snapshots.weighted_amount_eur) as weighted_pipeline_eur,
        count(case when snapshots.is_stale then 1 end) as stale_deal_count,
        sum(snapshots.stale_amount_eur) as stale_pipeline_eur,
        count(case when snapshots.is_stale_no_activity then 1 end) as no_activity_deal_count,
        count(case when snapshots.is_stale_no_stage_change then 1 end) as no_stage_change_deal_count,
        count(case when snapshots.is_past_close_date then 1 end) as past_close_date_deal_count
    from periods
    inner join snapshots
        on snapshots.date_day = periods.as_of_date
    inner join dimensions
        on dimensions.deal_version_id = snapshots.deal_version_id
    group by
        periods.period_grain,
        periods.period_start_date,
        dimensions.dimension_name,
        dimensions.dimension_value

),

final as (

    select
        cast(periods.period_grain as varchar) as period_grain,
        cast(periods.period_start_date as date) as period_start_date,
        cast(periods.period_end_date as date) as period_end_date,
        cast(periods.as_of_date as date) as as_of_date,
        cast(periods.is_complete as boolean) as is_complete,
        cast(dimension_values.dimension_name as varchar) as dimension_name,
        cast(dimension_values.dimension_value as varchar) as dimension_value,
        cast(coalesce(measured.open_deal_count, 0) as integer) as open_deal_count,
        cast(coalesce(measured.open_pipeline_eur, 0) as decimal(18, 2)) as open_pipeline_eur,
        cast(coalesce(measured.weighted_pipeline_eur, 0) as decimal(18, 2)) as weighted_pipeline_eur,
        cast(coalesce(measured.stale_deal_count, 0) as integer) as stale_deal_count,
        cast(coalesce(measured.stale_pipeline_eur, 0) as decimal(18, 2)) as stale_pipeline_eur,
        cast(
            measured.stale_pipeline_eur / nullif(measured.open_pipeline_eur, 0) as double
        ) as stale_pipeline_share,
        cast(coalesce(measured.no_activity_deal_count, 0) as integer) as no_activity_deal_count,
        cast(coalesce(measured.no_stage_change_deal_count, 0) as integer) as no_stage_change_deal_count,
        cast(coalesce(measured.past_close_date_deal_count, 0) as integer) as past_close_date_deal_count
    from periods
    cross join dimension_values
    left join measured
        on measured.period_grain = periods.period_grain
        and measured.period_start_date = periods.period_start_date
        and measured.dimension_name = dimension_values.dimension_name
        and measured.dimension_value = dimension_values.dimension_value

)

select * from final
