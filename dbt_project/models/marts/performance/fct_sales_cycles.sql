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
        booked_date,
        'created' as cycle_start,
        cycle_days_from_created as cycle_days
    from deal_breakdowns
    where cycle_days_from_created is not null
    union all
    select
        breakdown,
        breakdown_value,
        booked_date,
        'first_meeting' as cycle_start,
        cycle_days_from_first_meeting as cycle_days
    from deal_breakdowns
    where cycle_days_from_first_meeting is not null

),

-- Cycles are whole days, so a group's lengths are held as a count per length, a group-by that spills like
-- any other; the percentiles are read off the running counts. percentile_cont would keep every length of
-- a group in its aggregate state, outside DuckDB's memory limit: 3.1 GB at a 2 GB limit at 10M deals.
booked_per_period as (

    select
        performance_grains.period_grain,
        {{ performance_period_start('booked_deals.booked_date') }} as period_start_date,
        booked_deals.breakdown,
        booked_deals.breakdown_value,
        booked_deals.cycle_start,
        booked_deals.cycle_days,
        count(*) as deal_count
    from booked_deals
    cross join {{ performance_grains() }}
    group by all

),

length_counts as (

    select
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value,
        spine.cycle_start,
        booked_per_period.cycle_days,
        coalesce(booked_per_period.deal_count, 0) as deal_count
    from spine
    left join booked_per_period
        on booked_per_period.period_grain = spine.period_grain
        and booked_per_period.period_start_date = spine.period_start_date
        and booked_per_period.breakdown = spine.breakdown
        and booked_per_period.breakdown_value = spine.breakdown_value
        and booked_per_period.cycle_start = spine.cycle_start

),

running_counts as (

    select
        *,
        -- Deals of the group with this length or a shorter one: the sorted lengths' positions
        -- (0-based) from the previous row's count up to this one's minus 1 hold this length.
        sum(deal_count) over (
            partition by period_grain, period_start_date, breakdown, breakdown_value, cycle_start
            order by cycle_days
            rows between unbounded preceding and current row
        ) as deals_through,
        sum(deal_count) over (
            partition by period_grain, period_start_date, breakdown, breakdown_value, cycle_start
        ) as group_deal_count
    from length_counts

),

-- Continuous percentile p of n sorted lengths: position (n - 1) * p, interpolated linearly between the
-- lengths at the positions below and above it (macro interpolated_percentile). A group without deals has
-- one row without a length, so its percentiles are NULL.
positions as (

    select
        *,
        (group_deal_count - 1) * 0.5::double as median_position,
        (group_deal_count - 1) * 0.8::double as p80_position
    from running_counts

),

aggregated as (

    select
        period_grain,
        period_start_date,
        breakdown,
        breakdown_value,
        cycle_start,
        sum(deal_count) as booked_deal_count,
        coalesce(sum(cycle_days * deal_count), 0) as total_cycle_days,
        any_value(median_position) as median_position,
        any_value(p80_position) as p80_position,
        min(cycle_days) filter (where deals_through > floor(median_position)) as median_below,
        min(cycle_days) filter (where deals_through > ceil(median_position)) as median_above,
        min(cycle_days) filter (where deals_through > floor(p80_position)) as p80_below,
        min(cycle_days) filter (where deals_through > ceil(p80_position)) as p80_above
    from positions
    group by
        period_grain,
        period_start_date,
        breakdown,
        breakdown_value,
        cycle_start

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
        {{ interpolated_percentile('median_below', 'median_above', 'median_position') }} as median_cycle_days,
        {{ interpolated_percentile('p80_below', 'p80_above', 'p80_position') }} as p80_cycle_days
    from aggregated

)

select * from final
