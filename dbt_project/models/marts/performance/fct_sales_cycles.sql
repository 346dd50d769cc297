-- Sales cycle length in days per period (by booking date: month, quarter, year), breakdown and cycle
-- start: 'created' (deal created) or 'first_meeting' (the deal's first meeting activity), to booked_at
-- (var booking_policy). Whole days between the two dates. Median and 80th percentile are continuous
-- (linear interpolation between the nearest ranks); NULL when no deal was booked in the period, count 0.
with

grid as (

    select * from {{ ref('int_performance_spine') }}

),

deal_breakdowns as not materialized (

    select * from {{ ref('int_deal_breakdowns_unpivoted') }}

),

cycle_starts as (

    select 'created' as cycle_start
    union all
    select 'first_meeting' as cycle_start

),

spine as (

    select
        grid.*,
        cycle_starts.cycle_start
    from grid
    cross join cycle_starts

),

booked_deals as (

    select
        breakdown,
        breakdown_value,
        deal_id,
        booked_date,
        'created' as cycle_start,
        cycle_days_from_created as cycle_days
    from deal_breakdowns
    where cycle_days_from_created is not null
    union all
    select
        breakdown,
        breakdown_value,
        deal_id,
        booked_date,
        'first_meeting' as cycle_start,
        cycle_days_from_first_meeting as cycle_days
    from deal_breakdowns
    where cycle_days_from_first_meeting is not null

),

aggregated as (

    select
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value,
        spine.cycle_start,
        count(booked_deals.deal_id) as booked_deal_count,
        coalesce(sum(booked_deals.cycle_days), 0) as total_cycle_days,
        percentile_cont(0.5) within group (order by booked_deals.cycle_days) as median_cycle_days,
        percentile_cont(0.8) within group (order by booked_deals.cycle_days) as p80_cycle_days
    from spine
    left join booked_deals
        on booked_deals.breakdown = spine.breakdown
        and booked_deals.breakdown_value = spine.breakdown_value
        and booked_deals.cycle_start = spine.cycle_start
        and booked_deals.booked_date >= spine.period_start_date
        and booked_deals.booked_date < spine.period_end_date
    group by
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value,
        spine.cycle_start

),

final as (

    select
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(breakdown as varchar) as breakdown,
        cast(breakdown_value as varchar) as breakdown_value,
        cast(cycle_start as varchar) as cycle_start,
        cast(booked_deal_count as integer) as booked_deal_count,
        cast(total_cycle_days as bigint) as total_cycle_days,
        cast(1.0 * total_cycle_days / nullif(booked_deal_count, 0) as double) as avg_cycle_days,
        cast(median_cycle_days as double) as median_cycle_days,
        cast(p80_cycle_days as double) as p80_cycle_days
    from aggregated

)

select * from final
