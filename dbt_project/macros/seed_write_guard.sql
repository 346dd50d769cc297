{#-
    Guard for the seed CSVs. dbt writes the SQL it ran for a node to target/run/<package>/<file path>; for
    a seed whose path is absolute (a copied project with `seed-paths` pointing at the repository's seeds/,
    as tests/test_pipeline.py builds one) that join IS the CSV itself, and the seed file gets overwritten
    with SQL. This is dbt's own noop_statement (dbt-core 1.11, global_project/macros/etc/statement.sql),
    which only seed materializations use, minus that write for seeds outside the project.
-#}
{% macro noop_statement(name=None, message=None, code=None, rows_affected=None, res=None) -%}
  {%- set sql = caller() -%}

  {%- if name == 'main' -%}
    {%- if model.resource_type == 'seed' and model.original_file_path.startswith('/') -%}
      {{ log('Not writing runtime SQL for seed "{}": its path is absolute'.format(model['unique_id'])) }}
    {%- else -%}
      {{ log('Writing runtime SQL for node "{}"'.format(model['unique_id'])) }}
      {{ write(sql) }}
    {%- endif -%}
  {%- endif -%}

  {%- if name is not none -%}
    {{ store_raw_result(name, message=message, code=code, rows_affected=rows_affected, agate_table=res) }}
  {%- endif -%}

{%- endmacro %}
