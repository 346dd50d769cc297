-- Sales velocity per period and breakdown, in EUR per day:
--   open_deal_count (open at the period's end) * win_rate_count (fct_win_rates, same period)
--   * avg_won_amount_eur (won_amount_eur / won_deal_count, same period)
--   / avg_cycle_days (fct_sales_cycles, cycle_start 'created', same period).
-- NULL when a factor is NULL or the average cycle is 0 days. A deal is open at the end of a period when it
-- was created before that end and not closed before it (closed_at is the deal's final close).
with

periods as (

    select * from {{ ref('int_performance_periods') }}

),

deal_breakdowns as (

    select * from {{ ref('int_deal_breakdowns_unpivoted') }}

),

win_rates as (

    select * from {{ ref('fct_win_rates') }}

),

sales_cycles as (

    select * from {{ ref('fct_sales_cycles') }}
    where cycle_start = 'created'

),

open_at_period_end as (

    select
        periods.period_grain,
        periods.period_start_date,
        deal_breakdowns.breakdown,
        deal_breakdowns.breakdown_value,
        count(*) as open_deal_count
    from periods
    inner join deal_breakdowns
        on deal_breakdowns.created_date < periods.period_end_date
        and (deal_breakdowns.closed_date is null or deal_breakdowns.closed_date >= periods.period_end_date)
    group by
        periods.period_grain,
        periods.period_start_date,
        deal_breakdowns.breakdown,
        deal_breakdowns.breakdown_value

),

combined as (

    select
        win_rates.period_grain,
        win_rates.period_start_date,
        win_rates.breakdown,
        win_rates.breakdown_value,
        coalesce(open_at_period_end.open_deal_count, 0) as open_deal_count,
        win_rates.win_rate_count,
        win_rates.won_amount_eur / nullif(win_rates.won_deal_count, 0) as avg_won_amount_eur,
        sales_cycles.avg_cycle_days
    from win_rates
    left join open_at_period_end
        on open_at_period_end.period_grain = win_rates.period_grain
        and open_at_period_end.period_start_date = win_rates.period_start_date
        and open_at_period_end.breakdown = win_rates.breakdown
        and open_at_period_end.breakdown_value = win_rates.breakdown_value
    left join sales_cycles
        on sales_cycles.period_grain = win_rates.period_grain
        and sales_cycles.period_start_date = win_rates.period_start_date
        and sales_cycles.breakdown = win_rates.breakdown
        and sales_cycles.breakdown_value = win_rates.breakdown_value

),

final as (

    select
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(breakdown as varchar) as breakdown,
        cast(breakdown_value as varchar) as breakdown_value,
        cast(open_deal_count as integer) as open_deal_count,
        cast(win_rate_count as double) as win_rate_count,
        cast(avg_won_amount_eur as double) as avg_won_amount_eur,
        cast(avg_cycle_days as double) as avg_cycle_days,
        cast(
            open_deal_count * win_rate_count * avg_won_amount_eur / nullif(avg_cycle_days, 0) as double
        ) as sales_velocity_eur_per_day
    from combined

)

select * from final
