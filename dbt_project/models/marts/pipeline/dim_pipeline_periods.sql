-- One row per day, ISO week, month and quarter that overlaps the CRM export history (first to last
-- export date): the periods every pipeline mart reports on. as_of_date is the period's last day, or the
-- last export date for the period still running, so a snapshot metric never extrapolates past the
-- exports. Before the first export nothing is known: no period starts earlier than its week, month or
-- quarter around the first export.
with

deal_states as (

    select * from {{ ref('int_deal_states_historized') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

export_range as (

    select
        min(valid_from) as first_export_date,
        max(valid_from) as last_export_date
    from deal_states

),

days_in_range as (

    select dates.*
    from dates
    cross join export_range
    where dates.date_day between export_range.first_export_date and export_range.last_export_date

),

periods as (

    {%- for grain in ['day', 'week', 'month', 'quarter'] %}
    select
        '{{ grain }}' as period_grain,
        {{ 'date_day' if grain == 'day' else grain ~ '_start_date' }} as period_start_date
    from days_in_range
    group by {{ 'date_day' if grain == 'day' else grain ~ '_start_date' }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

with_bounds as (

    select
        periods.period_grain,
        periods.period_start_date,
        case periods.period_grain
            when 'day' then periods.period_start_date
            when 'week' then cast({{ dbt.dateadd('day', 6, 'periods.period_start_date') }} as date)
            when 'month' then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'periods.period_start_date')) }} as date)
            when 'quarter' then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'periods.period_start_date')) }} as date)
        end as period_end_date,
        export_range.last_export_date
    from periods
    cross join export_range

),

final as (

    select
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(period_end_date as date) as period_end_date,
        cast(least(period_end_date, last_export_date) as date) as as_of_date,
        cast(period_end_date <= last_export_date as boolean) as is_complete
    from with_bounds

)

select * from final
