{% macro reporting_currency() -%}
    {#- seeds/fx_rates.csv holds eur_per_unit: every *_eur column is in EUR, so only EUR can be chosen. -#}
    {%- set currency = var('reporting_currency', 'EUR') | upper -%}
    {%- if currency != 'EUR' -%}
        {{ exceptions.raise_compiler_error("var reporting_currency: fx_rates holds eur_per_unit only, so it must be EUR; got '" ~ currency ~ "'") }}
    {%- endif -%}
    {{ return(currency) }}
{%- endmacro %}


{% macro rate_month(timestamp_expression) -%}
    {#- The month an FX rate applies to: the first day of the month, as a date. -#}
    cast({{ dbt.date_trunc('month', timestamp_expression) }} as date)
{%- endmacro %}


{% macro to_reporting_currency(amount, eur_per_unit) -%}
    {#- round(amount * eur_per_unit, 2): half away from zero, as the demo truth and accounting round. -#}
    {%- do reporting_currency() -%}
    cast(round({{ amount }} * {{ eur_per_unit }}, 2) as decimal(18, 2))
{%- endmacro %}
