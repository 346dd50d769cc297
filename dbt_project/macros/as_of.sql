{% macro data_as_of_date_query() -%}
    {#-
        One row, one column (as_of_date): the newest export date in the data, CRM or billing. "How long"
        and "complete period" are measured to this date, never to the current date, so a build is the same
        whenever it runs. Use it as an import CTE.
    -#}
    select
        max(export_date) as as_of_date
    from (
        select max(last_export_date) as export_date from {{ ref('int_deals_deduplicated') }}
        union all
        select max(export_date) as export_date from {{ ref('int_invoices_deduplicated') }}
    ) as export_dates
{%- endmacro %}
