{% macro performance_grains() -%}
    {#-
        The grains of the performance marts' periods (int_performance_periods), as a relation with one
        column, period_grain: cross join it to give each row one period per grain, starting at
        performance_period_start.
    -#}
    (values ('month'), ('quarter'), ('year')) as performance_grains (period_grain)
{%- endmacro %}

{% macro performance_period_start(date_column) -%}
    {#-
        The first day of the period of `date_column` at performance_grains' period_grain: calendar months,
        quarters and years, so a date falls in exactly one period per grain. A mart aggregates its deals by
        this key and joins the result to the spine on equality, where a join on the period's date range
        compared every deal with every period of its breakdown value.
    -#}
    cast(date_trunc(performance_grains.period_grain, {{ date_column }}) as date)
{%- endmacro %}
