{#-
    Text cleaning shared by the models. DuckDB's regular expressions are kept in these macros, so another
    engine (Spark through dbt-spark) only needs other bodies here, not other models.
-#}

{% macro collapse_spaces(expression) -%}
    nullif(trim(regexp_replace({{ expression }}, '\s+', ' ', 'g')), '')
{%- endmacro %}


{% macro digits_only(expression) -%}
    {#- KvK and similar registry numbers: only the digits count ("1234 5678", "12.34.56.78"). -#}
    nullif(regexp_replace(coalesce({{ expression }}, ''), '[^0-9]', '', 'g'), '')
{%- endmacro %}


{% macro normalize_company_name(expression) -%}
    {#-
        A company name as billing and the CRM can both be compared on: upper case, accents removed,
        '&' read as 'EN', punctuation removed, legal forms (B.V., N.V., V.O.F., U.A., Stichting,
        Cooperatie) dropped, repeated spaces collapsed.
        'Bakker & Zn. B.V.' and 'BAKKER EN ZN BV' both become 'BAKKER EN ZN'.
    -#}
    nullif(trim(regexp_replace(
        regexp_replace(
            ' ' || replace(
                regexp_replace(
                    replace(upper(strip_accents({{ expression }})), '&', ' EN '),
                    '[^A-Z0-9 ]', '', 'g'
                ),
                ' ', '  '
            ) || ' ',
            ' (BV|NV|VOF|CV|UA|STICHTING|COOPERATIE) ', ' ', 'g'
        ),
        '\s+', ' ', 'g'
    )), '')
{%- endmacro %}


{% macro normalize_reference_key(expression) -%}
    {#- A deal key or reference token as compared: upper case, letters and digits only ('Q2024-00123' -> 'Q202400123'). -#}
    nullif(regexp_replace(upper({{ expression }}), '[^A-Z0-9]', '', 'g'), '')
{%- endmacro %}


{% macro reference_token_list(expression) -%}
    {#- The words of a free-text reference: split on anything but letters, digits and '-'. -#}
    regexp_split_to_array(upper(coalesce({{ expression }}, '')), '[^A-Z0-9-]+')
{%- endmacro %}


{% macro pii_hash(expression) -%}
    {#-
        Personal data leaves staging only as sha256(salt || lower(trim(value))). The salt comes from the
        environment (DEALLEDGER_PII_SALT); the default is for development only.
    -#}
    sha256('{{ env_var("DEALLEDGER_PII_SALT", "dealledger-dev-salt") }}' || lower(nullif(trim({{ expression }}), '')))
{%- endmacro %}


{% macro unnest_reference_tokens(expression) -%}
    {#- One row per word of a free-text reference (use in a select list; DuckDB's unnest). -#}
    unnest({{ reference_token_list(expression) }})
{%- endmacro %}


{% macro normalize_reference_text(expression) -%}
    {#- A whole reference text as compared between documents: upper case, single spaces. -#}
    upper({{ collapse_spaces(expression) }})
{%- endmacro %}
