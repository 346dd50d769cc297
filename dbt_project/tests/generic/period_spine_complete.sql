{% test period_spine_complete(model, group_columns, periods=ref('int_performance_periods')) %}
{#-
    Every group (e.g. breakdown, breakdown_value) has exactly the periods of the spine: a row for every
    period_grain and period_start_date of `periods`, and none outside it. Failures: missing or extra rows.
-#}

with

actual as (

    select
        period_grain,
        period_start_date,
        {{ group_columns | join(',\n        ') }}
    from {{ model }}

),

expected as (

    select
        periods.period_grain,
        periods.period_start_date,
        {%- for column in group_columns %}
        groups.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ periods }} as periods
    cross join (select distinct {{ group_columns | join(', ') }} from actual) as groups

),

missing as (

    select 'missing' as problem, * from expected
    except
    select 'missing' as problem, * from actual

),

extra as (

    select 'extra' as problem, * from actual
    except
    select 'extra' as problem, * from expected

)

select * from missing
union all
select * from extra

{% endtest %}
