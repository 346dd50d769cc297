{% macro invoice_rule_matches(stronger_than=none, columns='*') -%}
    {#- The rows of the invoice-matching rules (models int_invoice_matches_<rule>), unioned: all of them, or
        those of the rules stronger than `stronger_than`, which decide first. The rules' order lives here. -#}
    {%- set rules = ['explicit_reference', 'amount_and_date', 'credit_note_correction', 'same_reference'] -%}
    {%- set chosen = rules[:rules.index(stronger_than)] if stronger_than else rules -%}
    {%- for rule in chosen %}
    select {{ columns }} from {{ ref('int_invoice_matches_' ~ rule) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
