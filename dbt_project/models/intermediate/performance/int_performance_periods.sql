-- One row per reporting period (month, quarter, year) from the period of the first deal's creation to
-- the period of the as-of date: the data's newest CRM export date, never the current time. Every
-- per-period metric is spined on these rows, so an empty period is a row with counts 0 and ratios NULL.
with

deals as (

    select * from {{ ref('fct_deals') }}

),

deal_rows as (

    select * from {{ ref('int_deal_records_unioned') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

bounds as (

    select
        (select cast(min(created_at) as date) from deals) as first_date,
        (select max(export_date) from deal_rows) as as_of_date

),

days as (

    select
        dates.*,
        bounds.as_of_date
    from dates
    cross join bounds
    where dates.date_day between bounds.first_date and bounds.as_of_date

),

periods as (

    select distinct
        performance_grains.period_grain,
        {{ performance_period_start('days.date_day') }} as period_start_date,
        days.as_of_date
    from days
    cross join {{ performance_grains() }}

),

final as (

    select
        period_grain,
        period_start_date,
        cast(
            case period_grain
                when 'month' then {{ dbt.dateadd('month', 1, 'period_start_date') }}
                when 'quarter' then {{ dbt.dateadd('month', 3, 'period_start_date') }}
                else {{ dbt.dateadd('year', 1, 'period_start_date') }}
            end as date
        ) as period_end_date,
        as_of_date
    from periods

)

select * from final
