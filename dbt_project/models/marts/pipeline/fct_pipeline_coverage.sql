-- Pipeline coverage per period and team (and 'all' teams), as of the period's as_of_date: the open
-- pipeline that can still close in the quarter of as_of_date (expected close date on or before the
-- quarter's last day, overdue deals included) against the target still to book in that quarter
-- (seeds/sales_targets.csv minus what was won in the quarter up to as_of_date). A deal counts as won in
-- the quarter when its record was won on as_of_date and its latest change into a contract_signed stage
-- known by then (else its CRM last-modified date) falls in the quarter; amounts at the rate of the
-- creation month (int_deal_states_historized). The team is the owner's team.
with

periods as (

    select * from {{ ref('dim_pipeline_periods') }}

),

deal_states as (

    select * from {{ ref('int_deal_states_historized') }}

),

touchpoints as (

    select * from {{ ref('int_deal_touchpoints_unioned') }}

),

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

sales_targets as not materialized (

    select * from {{ ref('sales_targets') }}

),

period_quarters as (

    select
        periods.*,
        cast({{ dbt.date_trunc('quarter', 'periods.as_of_date') }} as date) as quarter_start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, dbt.date_trunc('quarter', 'periods.as_of_date'))) }} as date) as quarter_end_date
    from periods

),

states_as_of as (

    select
        period_quarters.period_grain,
        period_quarters.period_start_date,
        period_quarters.as_of_date,
        period_quarters.quarter_start_date,
        period_quarters.quarter_end_date,
        deal_states.deal_id,
        deal_states.record_state,
        deal_states.amount_eur,
        deal_states.expected_close_date,
        deal_states.updated_at,
        coalesce(users.team, '(unknown)') as team
    from period_quarters
    inner join deal_states
        on deal_states.valid_from <= period_quarters.as_of_date
        and (deal_states.valid_to is null or deal_states.valid_to > period_quarters.as_of_date)
    left join users
        on users.owner_id = deal_states.owner_id
    where deal_states.record_state in ('open', 'won')

),

signed_dates as (

    select
        states_as_of.period_grain,
        states_as_of.period_start_date,
        states_as_of.deal_id,
        max(touchpoints.touchpoint_date) as signed_date
    from states_as_of
    inner join touchpoints
        on touchpoints.deal_id = states_as_of.deal_id
        and touchpoints.touchpoint_kind = 'contract_signed'
        and touchpoints.known_from_date <= states_as_of.as_of_date
    where states_as_of.record_state = 'won'
    group by
        states_as_of.period_grain,
        states_as_of.period_start_date,
        states_as_of.deal_id

),

per_team as (

    select
        states_as_of.period_grain,
        states_as_of.period_start_date,
        states_as_of.team,
        sum(
            case
                when states_as_of.record_state = 'open'
                    and states_as_of.expected_close_date <= states_as_of.quarter_end_date
                    then states_as_of.amount_eur
                else 0
            end
        ) as pipeline_eur,
        sum(
            case
                when states_as_of.record_state = 'won'
                    and coalesce(signed_dates.signed_date, cast(states_as_of.updated_at as date))
                    between states_as_of.quarter_start_date and states_as_of.as_of_date
                    then states_as_of.amount_eur
                else 0
            end
        ) as booked_eur
    from states_as_of
    left join signed_dates
        on signed_dates.period_grain = states_as_of.period_grain
        and signed_dates.period_start_date = states_as_of.period_start_date
        and signed_dates.deal_id = states_as_of.deal_id
    group by
        states_as_of.period_grain,
        states_as_of.period_start_date,
        states_as_of.team

),

teams as (

    select distinct team from sales_targets
    union
    select '(all)' as team

),

team_targets as (

    select
        team,
        quarter_start,
        target_amount_eur
    from sales_targets
    union all
    select
        '(all)' as team,
        quarter_start,
        sum(target_amount_eur) as target_amount_eur
    from sales_targets
    group by quarter_start

),

team_measures as (

    select * from per_team
    union all
    select
        period_grain,
        period_start_date,
        '(all)' as team,
        sum(pipeline_eur) as pipeline_eur,
        sum(booked_eur) as booked_eur
    from per_team
    group by
        period_grain,
        period_start_date

),

combined as (

    select
        period_quarters.period_grain,
        period_quarters.period_start_date,
        period_quarters.period_end_date,
        period_quarters.as_of_date,
        period_quarters.is_complete,
        period_quarters.quarter_start_date,
        teams.team,
        team_targets.target_amount_eur as target_eur,
        coalesce(team_measures.booked_eur, 0) as booked_eur,
        coalesce(team_measures.pipeline_eur, 0) as pipeline_eur
    from period_quarters
    cross join teams
    left join team_targets
        on team_targets.team = teams.team
        and team_targets.quarter_start = period_quarters.quarter_start_date
    left join team_measures
        on team_measures.period_grain = period_quarters.period_grain
        and team_measures.period_start_date = period_quarters.period_start_date
        and team_measures.team = teams.team

),

final as (

    select
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(period_end_date as date) as period_end_date,
        cast(as_of_date as date) as as_of_date,
        cast(is_complete as boolean) as is_complete,
        cast(quarter_start_date as date) as quarter_start_date,
        cast(team as varchar) as team,
        cast(target_eur as decimal(18, 2)) as target_eur,
        cast(booked_eur as decimal(18, 2)) as booked_eur,
        cast(greatest(target_eur - booked_eur, 0) as decimal(18, 2)) as remaining_target_eur,
        cast(pipeline_eur as decimal(18, 2)) as pipeline_eur,
        cast(pipeline_eur / nullif(greatest(target_eur - booked_eur, 0), 0) as double) as coverage_ratio
    from combined

)

select * from final
