{#
    percentile_cont's value from the two sorted values around its position (n - 1) * p: `below` at
    floor(position), `above` at ceil(position). Weighted in the same floating-point order as DuckDB's
    percentile_cont, so the result is equal to the last bit (tests/test_model_sql.py); a position on a
    value is that value.
#}
{% macro interpolated_percentile(below, above, position) -%}
    cast(
        case
            when floor({{ position }}) = ceil({{ position }}) then {{ below }}
            else {{ below }} * (ceil({{ position }}) - {{ position }}) + {{ above }} * ({{ position }} - floor({{ position }}))
        end as double
    )
{%- endmacro %}
