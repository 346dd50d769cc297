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

deal_breakdowns as not materialized (

    select * from {{ ref('int_deal_breakdowns_unpivoted') }}

),

win_rates as (

    select * from {{ ref('fct_win_rates') }}

),

sales_cycles as (

    select * from {{ ref('fct_sales_cycles') }}
    where cycle_start = 'created'

),

-- A deal is open at a period's end E when created before E and not closed before E, so the count is the
-- deals created before E minus those created and closed before E (greatest of the two dates before E):
-- a running sum of +1 at creation and -1 at that date, read at E per breakdown value (an as-of join),
-- where a join on the dates compared every deal with every period.
openings_and_closings as (

    select breakdown, breakdown_value, created_date as change_date, 1 as open_deal_change
    from deal_breakdowns
    union all
    select breakdown, breakdown_value, greatest(created_date, closed_date) as change_date, -1 as open_deal_change
    from deal_breakdowns
    where closed_date is not null

),

open_deals_after_day as (

    select
        breakdown,
        breakdown_value,
        change_date,
        sum(sum(open_deal_change)) over (
            partition by breakdown, breakdown_value
            order by change_date
            rows between unbounded preceding and current row
        ) as open_deal_count
    from openings_and_closings
    group by breakdown, breakdown_value, change_date

),

open_at_period_end as (

    select
        periods.period_grain,
        periods.period_start_date,
        open_deals_after_day.breakdown,
        open_deals_after_day.breakdown_value,
        open_deals_after_day.open_deal_count
    from periods
    cross join (select distinct breakdown, breakdown_value from deal_breakdowns) as breakdown_values
    asof join open_deals_after_day
        on open_deals_after_day.breakdown = breakdown_values.breakdown
        and open_deals_after_day.breakdown_value = breakdown_values.breakdown_value
        and open_deals_after_day.change_date < periods.period_end_date

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
