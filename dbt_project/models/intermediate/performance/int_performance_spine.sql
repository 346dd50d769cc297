-- One row per period (int_performance_periods) and breakdown value that occurs among the deals
-- (int_deal_breakdowns_unpivoted): the complete grid the per-period marts fill, so an empty period is
-- a row (counts 0, ratios NULL) rather than a missing one.
with

periods as (

    select * from {{ ref('int_performance_periods') }}

),

breakdowns as (

    select * from {{ ref('int_deal_breakdowns_unpivoted') }}

),

breakdown_values as (

    select distinct
        breakdown,
        breakdown_value
    from breakdowns

),

final as (

    select
        periods.period_grain,
        periods.period_start_date,
        periods.period_end_date,
        breakdown_values.breakdown,
        breakdown_values.breakdown_value
    from periods
    cross join breakdown_values

)

select * from final
