-- One row per real deal (fct_deals: duplicates merged, deleted records gone) with what the performance
-- metrics need: whether it counts in the win rate (closed, and not a disqualified lead), the close and
-- booking dates, the cycle length from both starts, the decision-maker engagement and the effort spent.
-- It reads the marts on purpose: "one deal" and booked_at are defined once, in fct_deals.
with

deals as not materialized (

    select * from {{ ref('fct_deals') }}

),

deal_events as (

    select * from {{ ref('fct_deal_events') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

activities as (

    select * from {{ ref('int_activities_attributed') }}

),

milestones as (

    select
        deal_id,
        min(
            case when event_type in ('qualified', 'proposal', 'verbal_order', 'contract_signed') then event_at end
        ) as qualified_at,
        min(case when event_type in ('proposal', 'verbal_order', 'contract_signed') then event_at end) as proposal_at
    from deal_events
    group by deal_id

),

deal_milestones as (

    select
        deals.deal_id,
        milestones.qualified_at,
        milestones.proposal_at,
        -- Decision makers count when met before the proposal, or before the close of a deal that never
        -- reached it; an open deal before its proposal counts every meeting so far.
        coalesce(milestones.proposal_at, deals.closed_at) as decision_deadline_at
    from deals
    left join milestones
        on milestones.deal_id = deals.deal_id

),

-- The milestones ride along as group keys (one value per deal), so that every CTE is read once: DuckDB
-- holds a CTE that is read twice in memory, and at 10M deals one with every column of fct_deals did not
-- fit (docs/benchmarks.md).
effort as (

    select
        deal_milestones.deal_id,
        deal_milestones.qualified_at,
        deal_milestones.proposal_at,
        count(activities.activity_id) as activity_count,
        coalesce(sum(activities.duration_minutes), 0) as activity_minutes,
        min(case when activities.is_meeting then activities.activity_at end) as first_meeting_at,
        min(
            case
                when activities.is_meeting
                    and activities.is_with_decision_maker
                    and (
                        deal_milestones.decision_deadline_at is null
                        or activities.activity_at < deal_milestones.decision_deadline_at
                    )
                    then activities.activity_at
            end
        ) as first_decision_maker_meeting_at
    from deal_milestones
    left join activities
        on activities.deal_id = deal_milestones.deal_id
    group by
        deal_milestones.deal_id,
        deal_milestones.qualified_at,
        deal_milestones.proposal_at,
        deal_milestones.decision_deadline_at

),

classified as (

    select
        deals.*,
        sales_reps.team,
        effort.qualified_at,
        effort.proposal_at,
        effort.activity_count,
        effort.activity_minutes,
        effort.first_meeting_at,
        effort.first_decision_maker_meeting_at,
        deals.status in ('won', 'lost') as is_closed,
        deals.status = 'lost' and effort.qualified_at is null as is_disqualified
    from deals
    inner join effort
        on effort.deal_id = deals.deal_id
    left join sales_reps
        on sales_reps.owner_id = deals.owner_id

),

final as (

    select
        deal_id,
        owner_id,
        team,
        account_id,
        lead_source,
        referrer_account_id,
        referrer_account_id is not null as is_referred,
        status,
        amount_eur,
        created_at,
        qualified_at,
        proposal_at,
        closed_at,
        booked_at,
        cast(created_at as date) as created_date,
        cast(closed_at as date) as closed_date,
        cast(booked_at as date) as booked_date,
        is_closed,
        is_disqualified,
        is_closed and not is_disqualified as is_in_win_rate,
        is_closed and not is_disqualified and status = 'won' as is_won_in_win_rate,
        is_closed and not is_disqualified and status = 'lost' as is_lost_in_win_rate,
        first_meeting_at,
        case
            when booked_at is not null then {{ dbt.datediff('created_at', 'booked_at', 'day') }}
        end as cycle_days_from_created,
        case
            when booked_at is not null and first_meeting_at <= booked_at
                then {{ dbt.datediff('first_meeting_at', 'booked_at', 'day') }}
        end as cycle_days_from_first_meeting,
        first_decision_maker_meeting_at,
        first_decision_maker_meeting_at is not null as has_met_decision_maker_before_proposal,
        proposal_at is not null as is_past_proposal,
        status = 'open' and proposal_at is not null and first_decision_maker_meeting_at is null as is_at_risk,
        activity_count,
        round(activity_minutes / 60.0, 2) as activity_hours
    from classified

)

select * from final
