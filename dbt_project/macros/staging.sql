{#-
    Shared by the staging models: the generic crm / billing ones, and those of the tool-specific sources
    (Salesforce, HubSpot, QuickBooks, Stripe, UBL), which conform their tables to the generic shape.
-#}

{% macro lineage_columns(relation_alias=none) -%}
    {#-
        The lineage every staging model carries. export_scope: 'full' (every record as of the export day) or
        'changes' (only the records changed since the export before); rows loaded before the ingest wrote
        scopes (NULL) came from full exports, the only kind there was.
    -#}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ prefix }}_source_file as source_file,
    {{ prefix }}_content_hash as source_content_hash,
    {{ prefix }}_row_number as source_row,
    {{ prefix }}_load_id as load_id,
    {{ prefix }}_export_date as export_date,
    coalesce({{ prefix }}_export_scope, 'full') as export_scope
{%- endmacro %}


{% macro source_key(source_system, expression) -%}
    {#- An id in mart form: '<source>:<id>'; NULL when the id is empty. -#}
    '{{ source_system }}:' || nullif(trim({{ expression }}), '')
{%- endmacro %}


{% macro minor_units_to_amount(expression, currency) -%}
    {#-
        Stripe keeps amounts as integers in the currency's minor unit: 1000 usd = 10.00 USD. Currencies
        without a minor unit (Stripe's zero-decimal list: JPY, KRW, ...) are already whole units.
    -#}
    cast(
        case
            when upper({{ currency }}) in (
                'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV',
                'XAF', 'XOF', 'XPF'
            ) then ({{ expression }})
            else ({{ expression }}) / 100.0
        end
        as decimal(18, 2)
    )
{%- endmacro %}


{% macro union_conformed(models, columns, only_new_loads=false, reselected_models=[]) -%}
    {#-
        The staging models of one entity stacked, in the column order of the generic model; with
        only_new_loads, the rows of the loads not merged before, but every row of the reselected models.
    -#}
    {%- for model in models %}
    select
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if only_new_loads and model not in reselected_models %}
    {{- new_loads_only() | indent(4) }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{% macro appended_union(models, columns, reselected_models=[]) -%}
    {#-
        union_conformed as an incremental model that appends the rows of the loads it has not seen, so a daily
        run copies one day's rows instead of every row of every export again. Only for staging models whose
        rows depend on their own load alone: a staging row that a later load can change (HubSpot's merges and
        associations, billing deletions) would stay as first appended, unless its model is one of the
        `reselected_models`: their rows are selected from every load in every run and replace their stored
        copies (matched by their lineage, which the union's tests keep unique).
    -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert' if reselected_models else 'append',
        unique_key=['source_file', 'source_content_hash', 'source_row'] if reselected_models else none,
        on_schema_change='fail',
        pre_hook="{{ reset_processed_loads() }}",
        post_hook="{{ record_processed_loads([this]) }}",
    ) }}
    {{- union_conformed(models, columns, only_new_loads=true, reselected_models=reselected_models) }}
{%- endmacro %}


{% macro extra_field(key, relation_alias=none) -%}
    {#- A field the ingest kept in the `_extra` json column (custom fields, portal properties), as text. -#}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    json_extract_string({{ prefix }}_extra, '$.{{ key }}')
{%- endmacro %}


{% macro split_to_rows(expression, separator) -%}
    {#- One row per element of a separated list ('1;2;3' -> three rows), in a select list. -#}
    unnest(string_split({{ expression }}, '{{ separator }}'))
{%- endmacro %}
