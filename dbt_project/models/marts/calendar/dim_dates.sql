-- One row per calendar day: the date spine every per-period metric joins to (so an empty period is a
-- row with zeros, not a missing row) and MetricFlow's time spine. The range is fixed, not derived from
-- the current time, so every build is reproducible.
with

days as (

    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('calendar_start_date') ~ "' as date)",
        end_date="cast('" ~ var('calendar_end_date') ~ "' as date)",
    ) }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start_date,

    from days

)

select * from final
