-- Consistency per sales rep: one row per rep and month, from the month of the rep's first deal to the
-- as-of month. Monthly bookings (deals booked in the month, var booking_policy), win rate (closed deals
-- by close date, disqualified leads excluded, as fct_win_rates), average cycle (created -> booked) and
-- share of activities spent with customers; then, over the rolling 6 and 12 months ending in the month,
-- the same totals and the coefficient of variation (population standard deviation / mean) of the monthly
-- values. is_too_few_deals_<n>m: fewer closed deals in the window than var consistency_min_closed_deals.
{%- set windows = [6, 12] %}
with

periods as (

    select * from {{ ref('int_performance_periods') }}
    where period_grain = 'month'

),

outcomes as not materialized (

    select * from {{ ref('int_deal_outcomes_classified') }}

),

activities as (

    select * from {{ ref('int_activities_attributed') }}

),

rep_starts as (

    select
        owner_id,
        min(created_date) as first_deal_date
    from outcomes
    where owner_id is not null
    group by owner_id

),

spine as (

    select
        rep_starts.owner_id,
        periods.period_start_date,
        periods.period_end_date
    from rep_starts
    inner join periods
        on periods.period_end_date > rep_starts.first_deal_date

),

booked as (

    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'booked_date') }} as date) as period_start_date,
        count(*) as booked_deal_count,
        sum(amount_eur) as bookings_eur,
        sum(cycle_days_from_created) as total_cycle_days
    from outcomes
    where booked_date is not null
    group by 1, 2

),

closed as (

    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as period_start_date,
        count(*) as closed_deal_count,
        count(case when is_won_in_win_rate then 1 end) as won_deal_count
    from outcomes
    where is_in_win_rate
    group by 1, 2

),

effort as (

    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'activity_at') }} as date) as period_start_date,
        count(*) as activity_count,
        count(case when is_with_customer then 1 end) as customer_activity_count
    from activities
    where owner_id is not null
    group by 1, 2

),

monthly as (

    select
        spine.owner_id,
        spine.period_start_date,
        coalesce(booked.booked_deal_count, 0) as booked_deal_count,
        coalesce(booked.bookings_eur, 0) as bookings_eur,
        coalesce(booked.total_cycle_days, 0) as total_cycle_days,
        coalesce(closed.closed_deal_count, 0) as closed_deal_count,
        coalesce(closed.won_deal_count, 0) as won_deal_count,
        coalesce(effort.activity_count, 0) as activity_count,
        coalesce(effort.customer_activity_count, 0) as customer_activity_count
    from spine
    left join booked
        on booked.owner_id = spine.owner_id
        and booked.period_start_date = spine.period_start_date
    left join closed
        on closed.owner_id = spine.owner_id
        and closed.period_start_date = spine.period_start_date
    left join effort
        on effort.owner_id = spine.owner_id
        and effort.period_start_date = spine.period_start_date

),

monthly_ratios as (

    select
        monthly.*,
        1.0 * won_deal_count / nullif(closed_deal_count, 0) as win_rate_count,
        1.0 * total_cycle_days / nullif(booked_deal_count, 0) as avg_cycle_days,
        1.0 * customer_activity_count / nullif(activity_count, 0) as customer_activity_share
    from monthly

),

rolling as (

    select
        monthly_ratios.*,
        {%- for months in windows %}
        {%- set w = "over (partition by owner_id order by period_start_date rows between " ~ (months - 1) ~ " preceding and current row)" %}
        count(*) {{ w }} as months_in_window_{{ months }}m,
        sum(bookings_eur) {{ w }} as bookings_eur_{{ months }}m,
        sum(closed_deal_count) {{ w }} as closed_deal_count_{{ months }}m,
        sum(won_deal_count) {{ w }} as won_deal_count_{{ months }}m,
        sum(booked_deal_count) {{ w }} as booked_deal_count_{{ months }}m,
        sum(total_cycle_days) {{ w }} as total_cycle_days_{{ months }}m,
        sum(activity_count) {{ w }} as activity_count_{{ months }}m,
        sum(customer_activity_count) {{ w }} as customer_activity_count_{{ months }}m,
        stddev_pop(bookings_eur) {{ w }} / nullif(avg(bookings_eur) {{ w }}, 0) as cv_bookings_{{ months }}m,
        stddev_pop(win_rate_count) {{ w }} / nullif(avg(win_rate_count) {{ w }}, 0) as cv_win_rate_{{ months }}m,
        stddev_pop(avg_cycle_days) {{ w }} / nullif(avg(avg_cycle_days) {{ w }}, 0) as cv_cycle_days_{{ months }}m
        {{- "," if not loop.last }}
        {%- endfor %}
    from monthly_ratios

),

final as (

    select
        cast(owner_id as varchar) as owner_id,
        cast(period_start_date as date) as period_start_date,
        cast(booked_deal_count as integer) as booked_deal_count,
        cast(bookings_eur as decimal(18, 2)) as bookings_eur,
        cast(closed_deal_count as integer) as closed_deal_count,
        cast(won_deal_count as integer) as won_deal_count,
        cast(win_rate_count as double) as win_rate_count,
        cast(avg_cycle_days as double) as avg_cycle_days,
        cast(activity_count as integer) as activity_count,
        cast(customer_activity_count as integer) as customer_activity_count,
        cast(customer_activity_share as double) as customer_activity_share,
        {%- for months in windows %}
        cast(months_in_window_{{ months }}m as integer) as months_in_window_{{ months }}m,
        cast(bookings_eur_{{ months }}m as decimal(18, 2)) as bookings_eur_{{ months }}m,
        cast(closed_deal_count_{{ months }}m as integer) as closed_deal_count_{{ months }}m,
        cast(won_deal_count_{{ months }}m as integer) as won_deal_count_{{ months }}m,
        cast(1.0 * won_deal_count_{{ months }}m / nullif(closed_deal_count_{{ months }}m, 0) as double)
            as win_rate_count_{{ months }}m,
        cast(1.0 * total_cycle_days_{{ months }}m / nullif(booked_deal_count_{{ months }}m, 0) as double)
            as avg_cycle_days_{{ months }}m,
        cast(1.0 * customer_activity_count_{{ months }}m / nullif(activity_count_{{ months }}m, 0) as double)
            as customer_activity_share_{{ months }}m,
        cast(cv_bookings_{{ months }}m as double) as cv_bookings_{{ months }}m,
        cast(cv_win_rate_{{ months }}m as double) as cv_win_rate_{{ months }}m,
        cast(cv_cycle_days_{{ months }}m as double) as cv_cycle_days_{{ months }}m,
        cast(closed_deal_count_{{ months }}m < {{ var('consistency_min_closed_deals') }} as boolean)
            as is_too_few_deals_{{ months }}m
        {{- "," if not loop.last }}
        {%- endfor %}
    from rolling

)

select * from final
