{%- set movement_types = ['new', 'pulled_in', 'amount_up', 'amount_down', 'pushed_out', 'won', 'lost', 'removed', 'reassigned'] -%}
-- The pipeline waterfall per period and dimension value (all, owner, team, lead_source): the pipeline of
-- the period (open deals expected to close in it) at its opening (the end of the day before it starts)
-- and at its closing (its as_of_date), the movements in between (fct_pipeline_movements, signed: + into
-- the pipeline, - out of it) and what stayed open. closing = opening + the sum of the movement columns,
-- exactly (tested in _pipeline__models.yml). An empty period has every amount and count 0.
with

periods as not materialized (

    select * from {{ ref('dim_pipeline_periods') }}

),

snapshots as not materialized (

    select * from {{ ref('fct_pipeline_snapshots') }}

),

movements as (

    select * from {{ ref('fct_pipeline_movements') }}

),

dimensions as not materialized (

    select * from {{ ref('int_deal_state_dimensions_unpivoted') }}
    where dimension_name <> 'stage'

),

dimension_values as (

    select
        'all' as dimension_name,
        'all' as dimension_value
    union
    select
        dimensions.dimension_name,
        dimensions.dimension_value
    from dimensions
    inner join snapshots
        on snapshots.deal_version_id = dimensions.deal_version_id

),

period_pipeline as (

    -- The deals in the period's pipeline at its opening and at its closing.
    select
        periods.period_grain,
        periods.period_start_date,
        edges.edge,
        snapshots.deal_id,
        dimensions.dimension_name,
        dimensions.dimension_value,
        snapshots.amount_eur
    from periods
    cross join (select 'opening' as edge union all select 'closing' as edge) as edges
    inner join snapshots
        on snapshots.date_day = case
            when edges.edge = 'opening' then cast({{ dbt.dateadd('day', -1, 'periods.period_start_date') }} as date)
            else periods.as_of_date
        end
        and snapshots.expected_close_date between periods.period_start_date and periods.period_end_date
    inner join dimensions
        on dimensions.deal_version_id = snapshots.deal_version_id

),

edge_totals as (

    select
        period_grain,
        period_start_date,
        dimension_name,
        dimension_value,
        count(case when edge = 'opening' then 1 end) as opening_deal_count,
        sum(case when edge = 'opening' then amount_eur else 0 end) as opening_pipeline_eur,
        count(case when edge = 'closing' then 1 end) as closing_deal_count,
        sum(case when edge = 'closing' then amount_eur else 0 end) as closing_pipeline_eur
    from period_pipeline
    group by
        period_grain,
        period_start_date,
        dimension_name,
        dimension_value

),

still_open as (

    -- In the period's pipeline, under the same value, at both its opening and its closing.
    select
        closing.period_grain,
        closing.period_start_date,
        closing.dimension_name,
        closing.dimension_value,
        count(*) as still_open_deal_count,
        sum(closing.amount_eur) as still_open_eur
    from period_pipeline as closing
    inner join period_pipeline as opening
        on opening.period_grain = closing.period_grain
        and opening.period_start_date = closing.period_start_date
        and opening.dimension_name = closing.dimension_name
        and opening.dimension_value = closing.dimension_value
        and opening.deal_id = closing.deal_id
        and opening.edge = 'opening'
    where closing.edge = 'closing'
    group by
        closing.period_grain,
        closing.period_start_date,
        closing.dimension_name,
        closing.dimension_value

),

movement_totals as (

    select
        period_grain,
        period_start_date,
        dimension_name,
        dimension_value,
        {%- for movement_type in movement_types %}
        sum(case when movement_type = '{{ movement_type }}' then amount_eur else 0 end) as {{ movement_type }}_eur,
        count(case when movement_type = '{{ movement_type }}' then 1 end) as {{ movement_type }}_count,
        {%- endfor %}
        sum(amount_eur) as net_change_eur,
        sum(deal_count_delta) as net_deal_count_change
    from movements
    group by
        period_grain,
        period_start_date,
        dimension_name,
        dimension_value

),

final as (

    select
        cast(periods.period_grain as varchar) as period_grain,
        cast(periods.period_start_date as date) as period_start_date,
        cast(periods.period_end_date as date) as period_end_date,
        cast(periods.as_of_date as date) as as_of_date,
        cast(periods.is_complete as boolean) as is_complete,
        cast(dimension_values.dimension_name as varchar) as dimension_name,
        cast(dimension_values.dimension_value as varchar) as dimension_value,
        cast(coalesce(edge_totals.opening_deal_count, 0) as integer) as opening_deal_count,
        cast(coalesce(edge_totals.opening_pipeline_eur, 0) as decimal(18, 2)) as opening_pipeline_eur,
        {%- for movement_type in movement_types %}
        cast(coalesce(movement_totals.{{ movement_type }}_eur, 0) as decimal(18, 2)) as {{ movement_type }}_eur,
        cast(coalesce(movement_totals.{{ movement_type }}_count, 0) as integer) as {{ movement_type }}_count,
        {%- endfor %}
        cast(coalesce(movement_totals.net_change_eur, 0) as decimal(18, 2)) as net_change_eur,
        cast(coalesce(movement_totals.net_deal_count_change, 0) as integer) as net_deal_count_change,
        cast(coalesce(still_open.still_open_deal_count, 0) as integer) as still_open_deal_count,
        cast(coalesce(still_open.still_open_eur, 0) as decimal(18, 2)) as still_open_eur,
        cast(coalesce(edge_totals.closing_deal_count, 0) as integer) as closing_deal_count,
        cast(coalesce(edge_totals.closing_pipeline_eur, 0) as decimal(18, 2)) as closing_pipeline_eur
    from periods
    cross join dimension_values
    left join edge_totals
        on edge_totals.period_grain = periods.period_grain
        and edge_totals.period_start_date = periods.period_start_date
        and edge_totals.dimension_name = dimension_values.dimension_name
        and edge_totals.dimension_value = dimension_values.dimension_value
    left join movement_totals
        on movement_totals.period_grain = periods.period_grain
        and movement_totals.period_start_date = periods.period_start_date
        and movement_totals.dimension_name = dimension_values.dimension_name
        and movement_totals.dimension_value = dimension_values.dimension_value
    left join still_open
        on still_open.period_grain = periods.period_grain
        and still_open.period_start_date = periods.period_start_date
        and still_open.dimension_name = dimension_values.dimension_name
        and still_open.dimension_value = dimension_values.dimension_value

)

select * from final
