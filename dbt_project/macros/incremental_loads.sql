{#-
    Incremental models over the growing raw tables read only the loads (ingest runs) they have not seen.
    Which loads a model has merged is kept beside it in `<model>__loads` (one row per load_id): reset before
    a full build, extended after every build, in the model's own transaction. A load removed from a raw
    table, or a changed staging model, needs `dbt build --full-refresh` (docs/benchmarks.md).
    Reference data the model reads whole is not in the loads: every seed upstream (data that sales ops
    edit, not code) and the lookup columns a model names. Its fingerprint is kept in
    `<model>__reference_data`, and a model whose reference data changed since its last build is built
    again from every load.
-#}

{% macro merged_from_new_loads(unique_key, inputs) -%}
    {#-
        The config of a model that merges the loads of its `inputs` (model names) it has not seen into its
        stored rows: `delete+insert` on unique_key, the ledger of merged loads kept by the hooks.
    -#}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ reset_processed_loads() }}",
        post_hook=recording_loads_of(inputs),
    ) }}
{%- endmacro %}

{% macro recording_loads_of(inputs) -%}
    {#- The post-hook (as config text, rendered when it runs) recording the loads of `inputs` (model names). -#}
    {%- set input_refs = [] -%}
    {%- for input in inputs -%}
        {%- do input_refs.append("ref('" ~ input ~ "')") -%}
    {%- endfor -%}
    {%- do return("{{ record_processed_loads([" ~ input_refs | join(', ') ~ "]) }}") -%}
{%- endmacro %}

{% macro rebuilt_on_new_loads() -%}
    {#-
        The config of a model whose rows the loads decide across each other (billing: a later export deletes
        or voids a document of every load, renames a customer), so it cannot merge new loads into stored
        rows: it is built whole, from every load, but only in a run where a raw table upstream of it got a
        load it has not seen (or its reference data changed); otherwise its stored rows stay as they are. Its
        ledger holds the loads of every raw table upstream (raw_source_relations).
    -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ reset_processed_loads(rebuilt_whole=true) }}",
        post_hook="{{ record_processed_loads(raw_source_relations(), load_id_column='_load_id') }}",
    ) }}
{%- endmacro %}

{% macro upstream_node_ids() -%}
    {#- Every node the model reads, through any number of models (from the manifest's graph). -#}
    {%- set frontier, found = [], [] -%}
    {%- do frontier.extend(model.depends_on.nodes) -%}
    {%- for depth in range(20) if frontier -%}
        {%- set current = frontier[:] -%}
        {%- do frontier.clear() -%}
        {%- for node_id in current -%}
            {%- if node_id not in found -%}
                {%- do found.append(node_id) -%}
                {%- if node_id.startswith('model.') -%}
                    {%- do frontier.extend(graph.nodes[node_id].depends_on.nodes) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do return(found) -%}
{%- endmacro %}

{% macro model_relation(name) -%}
    {#- A model's relation, from the manifest's graph (empty while dbt parses): for SQL a hook runs. -#}
    {%- do return(graph.nodes['model.' ~ project_name ~ '.' ~ name].relation_name if execute else name) -%}
{%- endmacro %}

{% macro raw_source_relations() -%}
    {#-
        Every raw table upstream of the model: their loads are what the model's rows can depend on, not the
        loads its inputs' rows show (a staging row carries its own file's load, not that of the customers
        export that named its customer).
    -#}
    {%- set relations = [] -%}
    {%- for node_id in upstream_node_ids() if node_id.startswith('source.') -%}
        {%- do relations.append(graph.sources[node_id].relation_name) -%}
    {%- endfor -%}
    {%- do return(relations | sort) -%}
{%- endmacro %}

{% macro kept_as_built() -%}
    {#- For a rebuilt_on_new_loads model: whether no raw table upstream has a load it has not seen. -#}
    {%- do return(is_incremental_from_loads() and new_load_ids() | length == 0) -%}
{%- endmacro %}

{% macro unless_kept_as_built() -%}
    {#- A rebuilt_on_new_loads model's final filter: no row to append when its stored rows stay. -#}
    {%- if kept_as_built() %}
    where false
    {%- endif %}
{%- endmacro %}

{% macro processed_loads_relation() -%}
    {{ this.schema }}.{{ this.identifier }}__loads
{%- endmacro %}

{% macro reference_data_relation() -%}
    {{ this.schema }}.{{ this.identifier }}__reference_data
{%- endmacro %}

{% macro reference_data_fingerprints_sql() -%}
    {#-
        One row per piece of reference data the model reads: its name and a hash of its rows in a fixed
        order. Every seed upstream, whole (through any model: an edited stage_milestones changes the
        milestones that int_deal_states_historized hands on); and the columns of lookup models that the
        model's config names in `meta.fingerprinted_lookups` ({model: [columns]}), only those, for the rest
        change with every export (lineage, last export date). Relations come from the graph (empty while
        dbt parses), not ref(): a seed two models up is no dependency dbt parsed for this model.
    -#}
    {%- set parts = [] -%}
    {%- for node_id in upstream_node_ids() if node_id.startswith('seed.') -%}
        {%- do parts.append((graph.nodes[node_id].name, graph.nodes[node_id].relation_name, 'reference_row')) -%}
    {%- endfor -%}
    {%- for lookup, columns in (model.config.meta.get('fingerprinted_lookups') or {}).items() if execute -%}
        {%- do parts.append((lookup, model_relation(lookup), '(' ~ columns | join(', ') ~ ')')) -%}
    {%- endfor -%}
    {%- for name, relation, row_expression in parts | sort %}
    select '{{ name }}' as reference_data, md5(coalesce(string_agg(cast({{ row_expression }} as varchar), chr(10)
        order by cast({{ row_expression }} as varchar)), '')) as fingerprint
    from {{ relation }} as reference_row
    union all
    {%- endfor %}
    select null::varchar as reference_data, null::varchar as fingerprint where false
{%- endmacro %}

{% macro reference_data_unchanged() -%}
    {#- Whether the model's reference data is as it was when the model was last built (no ledger: unknown). -#}
    {%- if not execute -%}
        {%- do return(true) -%}
    {%- endif -%}
    {%- set stored = adapter.get_relation(database=this.database, schema=this.schema,
                                          identifier=this.identifier ~ '__reference_data') -%}
    {%- if stored is none -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set current_sql = '(' ~ reference_data_fingerprints_sql() ~ ')' -%}
    {%- set stored_sql = '(select * from ' ~ reference_data_relation() ~ ')' -%}
    {%- set differing = run_query(
        'select count(*) from ((' ~ current_sql ~ ' except all ' ~ stored_sql ~ ') union all ('
        ~ stored_sql ~ ' except all ' ~ current_sql ~ '))'
    ).columns[0].values()[0] -%}
    {%- do return(differing == 0) -%}
{%- endmacro %}

{% macro is_incremental_from_loads() -%}
    {#-
        is_incremental(), unless the stored table cannot be merged into: reference data the model reads
        (reference_data_fingerprints_sql) changed since its last build, or the table has no ledger of merged
        loads (built before the model was incremental; merging into it would count its loads twice). Then
        every load is read again, and reset_processed_loads empties the table first.
    -#}
    {%- if not is_incremental() -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- if execute and adapter.get_relation(database=this.database, schema=this.schema,
                                            identifier=this.identifier ~ '__loads') is none -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- do return(reference_data_unchanged()) -%}
{%- endmacro %}

{% macro processed_load_ids() -%}
    {#-
        The ledger's load ids, written out as literals when the model compiles (right before it runs), for
        new_load_ids' scans of the raw tables. An empty ledger gives the subquery (`not in ()` is no SQL).
    -#}
    {%- set ids = run_query('select load_id from ' ~ processed_loads_relation() ~ ' order by 1').columns[0].values()
        if execute else [] -%}
    {%- if ids | length == 0 -%}
        select load_id from {{ processed_loads_relation() }}
    {%- else -%}
        {{ sql_string_list(ids) }}
    {%- endif -%}
{%- endmacro %}

{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro new_load_ids() -%}
    {#-
        The loads of the raw tables upstream of the model that its ledger does not hold, read when the model
        compiles. Every row of a model carries the load of the raw row it came from, so a row of an input is
        new exactly when its load is one of these. Models filter on them (`load_id in (...)`), not on the
        ledger (`not in`): DuckDB then skips every row group of a merged load by its min/max, where `not in`
        evaluated every row of every load, and the staging views' expressions with it (at 1M deals 1.5 s
        against 0.04 s for int_deal_touchpoints_unioned's new rows of a day). A load upstream that has no row
        in the model's inputs (a billing-only load for a CRM model) is never recorded in the ledger and
        stays in this list: it matches no row. The scans read only the `_load_id` column (0.1 s for the 55
        raw tables at 1M deals). A model asks up to six times (its filters, hooks); the answer is kept in
        the rendering's context for the model and the ledger it was read against (the pre-hook may empty
        the ledger before the post-hook records it). The raw tables do not change while dbt runs.
    -#}
    {%- if not execute -%}
        {%- do return([]) -%}
    {%- endif -%}
    {%- set processed = processed_load_ids() -%}
    {%- set key = this ~ ': ' ~ processed -%}
    {%- set known = context.get('_dealledger_new_load_ids') -%}
    {%- if known is none -%}
        {%- set known = {} -%}
        {%- do context.update({'_dealledger_new_load_ids': known}) -%}
    {%- endif -%}
    {%- if key not in known -%}
        {%- set scans = [] -%}
        {%- for relation in raw_source_relations() -%}
            {%- do scans.append('select distinct _load_id from ' ~ relation ~ ' where _load_id not in (' ~ processed ~ ')') -%}
        {%- endfor -%}
        {%- do known.update({key: run_query(scans | join(' union ') ~ ' order by 1').columns[0].values()
            if scans else []}) -%}
    {%- endif -%}
    {%- do return(known[key]) -%}
{%- endmacro %}

{% macro is_new_load(load_id_column='load_id') -%}
    {#- Whether a row's load is not merged into the model yet (only where is_incremental_from_loads()). -#}
    {%- set new_ids = new_load_ids() -%}
    {%- if new_ids | length == 0 -%}
        false
    {%- else -%}
        {{ load_id_column }} in ({{ sql_string_list(new_ids) }})
    {%- endif -%}
{%- endmacro %}

{% macro new_loads_only(load_id_column='load_id', also_every_row_where=none) -%}
    {%- if is_incremental_from_loads() %}
    where {{ is_new_load(load_id_column) }}
        {%- if also_every_row_where %}
        or {{ also_every_row_where }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{% macro sources_deciding_across_loads() -%}
    {#-
        The CRM sources whose staging gives a row values that other loads decide (HubSpot: a merge or a
        company named by a later export applies to the rows of every load), as a SQL list. Incremental
        models decide their records again from every row, not from the new loads and the stored state.
    -#}
    ('hubspot')
{%- endmacro %}

{% macro reset_processed_loads(rebuilt_whole=false) -%}
    {#-
        pre_hook: a full build starts the ledger afresh; an incremental one keeps it, unless the stored table
        cannot be merged into (is_incremental_from_loads): then the table is emptied too, for the build from
        every load to replace every row (merged into the stored rows, it would keep rows the reference data
        no longer gives, or count loads twice).
    -#}
    {%- if (kept_as_built() if rebuilt_whole else is_incremental_from_loads()) -%}
        create table if not exists {{ processed_loads_relation() }} (load_id varchar)
    {%- else -%}
        {%- if is_incremental() -%}
        delete from {{ this }};
        {%- endif %}
        create or replace table {{ processed_loads_relation() }} (load_id varchar)
    {%- endif -%}
{%- endmacro %}

{% macro record_processed_loads(input_relations, load_id_column='load_id') -%}
    {#-
        post_hook: every new load that the inputs hold is now merged into the model, with its reference data
        as it is now. Only loads the inputs hold: an input table that a partial run (`dbt build --select`)
        left behind its raw tables has not shown the model their rows yet.
    -#}
    {%- set new_ids = new_load_ids() -%}
    {%- if new_ids | length > 0 %}
    insert into {{ processed_loads_relation() }}
    {%- for input_relation in input_relations %}
    select distinct {{ load_id_column }} as load_id
    from {{ input_relation }}
    where {{ load_id_column }} in ({{ sql_string_list(new_ids) }})
    {{ 'union' if not loop.last else ';' }}
    {%- endfor %}
    {%- endif %}
    create or replace table {{ reference_data_relation() }} as {{ reference_data_fingerprints_sql() }}
{%- endmacro %}
