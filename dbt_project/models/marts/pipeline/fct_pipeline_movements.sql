-- Why the pipeline of a period changed: one row per period, deal version change in that period,
-- dimension and dimension value it moved. The pipeline of a period is the open pipeline expected to
-- close in it (expected_close_date between period_start_date and period_end_date), as in the GitLab and
-- Clari pipeline reports. Each change of a deal record from its previous version (none before its first
-- export) to the next is one movement of a dimension value:
--   in the period's pipeline before and after, same value: amount_up / amount_down (the difference);
--   entering: new (was not open: created, reopened, reappeared), pulled_in (open, closing elsewhere),
--             reassigned (in it under another value of the dimension, e.g. another owner);
--   leaving: won, lost, removed (deleted, merged away, dropped from the export, unmapped stage),
--            pushed_out (still open, expected close date moved out of the period), reassigned.
-- amount_eur is signed (+ into the pipeline, - out of it), deal_count_delta too, so per period and
-- dimension value the movements add up exactly to closing minus opening pipeline.
-- Incremental per deal record: a record's movements depend on its own versions and their dimensions,
-- and on the bounds of the periods its changes fall in, which are the calendar's: a new export day only
-- adds periods around days outside the range exported before, where no stored change falls. The rows
-- of the records that int_deal_states_historized decided again are replaced. An edited seed or a rep's
-- new team (the team dimension, fingerprinted as in int_deal_state_dimensions_unpivoted) builds every
-- row again.
{{ replaced_per_record(fingerprinted_lookups={'int_users_deduplicated': ['owner_id', 'team']}) }}
-- depends_on: {{ ref('int_deal_records_unioned') }}

with

deal_states as not materialized (

    select * from {{ ref('int_deal_states_historized') }}
    {{ only_records_decided_again() }}

),

dimensions as not materialized (

    select * from {{ ref('int_deal_state_dimensions_unpivoted') }}
    where dimension_name <> 'stage'
    {%- if is_incremental_from_loads() %}
      and {{ is_decided_again('deal_id') }}
    {%- endif %}

),

periods as (

    select * from {{ ref('dim_pipeline_periods') }}

),

transitions as (

    select
        deal_version_id,
        lag(deal_version_id) over (partition by deal_id order by valid_from) as previous_deal_version_id,
        deal_id,
        valid_from as movement_date
    from deal_states

),

transitions_in_periods as (

    select
        periods.period_grain,
        periods.period_start_date,
        periods.period_end_date,
        transitions.*
    from transitions
    inner join periods
        on transitions.movement_date between periods.period_start_date and periods.period_end_date

),

-- Only a transition whose deal was in the period's pipeline before or after it moves anything; most
-- are neither (their expected close date lies in another period), so they are left out before the
-- five dimensions multiply the rows (at 10M deals the unfiltered join spilled more than 26 GB). Not
-- materialized, like `sides` below, which reads it.
transitions_touching_periods as not materialized (

    select
        transitions_in_periods.*,
        coalesce(previous_state.is_pipeline, false) as previous_is_pipeline,
        coalesce(
            previous_state.is_pipeline
            and previous_state.expected_close_date between transitions_in_periods.period_start_date
                and transitions_in_periods.period_end_date,
            false
        ) as previous_in_period,
        next_state.is_pipeline as next_is_pipeline,
        coalesce(
            next_state.is_pipeline
            and next_state.expected_close_date between transitions_in_periods.period_start_date
                and transitions_in_periods.period_end_date,
            false
        ) as next_in_period,
        next_state.record_state as next_record_state,
        previous_state.amount_eur as previous_amount_eur,
        next_state.amount_eur as next_amount_eur
    from transitions_in_periods
    inner join deal_states as next_state
        on next_state.deal_version_id = transitions_in_periods.deal_version_id
    left join deal_states as previous_state
        on previous_state.deal_version_id = transitions_in_periods.previous_deal_version_id
    where previous_in_period or next_in_period

),

-- Read by the three kinds of movement below. Not materialized: DuckDB would keep these rows (five per
-- transition) in memory, which at 1M deals ran out of its memory limit; inlined, each kind streams
-- through the joins and spills like any join.
sides as not materialized (

    select
        transitions_touching_periods.*,
        next_dimension.dimension_name,
        previous_dimension.dimension_value as previous_value,
        next_dimension.dimension_value as next_value
    from transitions_touching_periods
    inner join dimensions as next_dimension
        on next_dimension.deal_version_id = transitions_touching_periods.deal_version_id
    left join dimensions as previous_dimension
        on previous_dimension.deal_version_id = transitions_touching_periods.previous_deal_version_id
        and previous_dimension.dimension_name = next_dimension.dimension_name

),

leaving as (

    select
        sides.*,
        sides.previous_value as dimension_value,
        case
            when sides.next_in_period then 'reassigned'
            when sides.next_is_pipeline then 'pushed_out'
            when sides.next_record_state in ('won', 'lost') then sides.next_record_state
            else 'removed'
        end as movement_type,
        -sides.previous_amount_eur as amount_eur,
        -1 as deal_count_delta
    from sides
    where sides.previous_in_period
      and not (sides.next_in_period and sides.next_value = sides.previous_value)

),

entering as (

    select
        sides.*,
        sides.next_value as dimension_value,
        case
            when sides.previous_in_period then 'reassigned'
            when sides.previous_is_pipeline then 'pulled_in'
            else 'new'
        end as movement_type,
        sides.next_amount_eur as amount_eur,
        1 as deal_count_delta
    from sides
    where sides.next_in_period
      and not (sides.previous_in_period and sides.previous_value = sides.next_value)

),

amount_changed as (

    select
        sides.*,
        sides.next_value as dimension_value,
        case when sides.next_amount_eur > sides.previous_amount_eur then 'amount_up' else 'amount_down' end as movement_type,
        sides.next_amount_eur - sides.previous_amount_eur as amount_eur,
        0 as deal_count_delta
    from sides
    where sides.previous_in_period
      and sides.next_in_period
      and sides.next_value = sides.previous_value
      and sides.next_amount_eur <> sides.previous_amount_eur

),

movements as (

    select * from leaving
    union all
    select * from entering
    union all
    select * from amount_changed

),

final as (

    select
        cast({{ surrogate_key([
            'period_grain', 'period_start_date', 'deal_version_id', 'dimension_name', 'dimension_value',
        ]) }} as varchar) as movement_id,
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(period_end_date as date) as period_end_date,
        cast(movement_date as date) as movement_date,
        cast(deal_id as varchar) as deal_id,
        cast(deal_version_id as varchar) as deal_version_id,
        cast(previous_deal_version_id as varchar) as previous_deal_version_id,
        cast(dimension_name as varchar) as dimension_name,
        cast(dimension_value as varchar) as dimension_value,
        cast(movement_type as varchar) as movement_type,
        cast(amount_eur as decimal(18, 2)) as amount_eur,
        cast(deal_count_delta as integer) as deal_count_delta
    from movements

)

select * from final
