-- One row per real deal with its performance classification (int_deal_outcomes_classified): the grain
-- the semantic layer's measures are defined on, and the list of open deals at risk (past the proposal
-- without a decision-maker meeting before it).
with

outcomes as (

    select * from {{ ref('int_deal_outcomes_classified') }}

),

final as (

    select
        cast(deal_id as varchar) as deal_id,
        cast(owner_id as varchar) as owner_id,
        cast(team as varchar) as team,
        cast(account_id as varchar) as account_id,
        cast(lead_source as varchar) as lead_source,
        cast(referrer_account_id as varchar) as referrer_account_id,
        cast(is_referred as boolean) as is_referred,
        cast(status as varchar) as status,
        cast(amount_eur as decimal(18, 2)) as amount_eur,
        cast(created_at as timestamp) as created_at,
        cast(qualified_at as timestamp) as qualified_at,
        cast(proposal_at as timestamp) as proposal_at,
        cast(closed_at as timestamp) as closed_at,
        cast(booked_at as timestamp) as booked_at,
        cast(created_date as date) as created_date,
        cast(closed_date as date) as closed_date,
        cast(booked_date as date) as booked_date,
        cast(is_closed as boolean) as is_closed,
        cast(is_disqualified as boolean) as is_disqualified,
        cast(is_in_win_rate as boolean) as is_in_win_rate,
        cast(is_won_in_win_rate as boolean) as is_won_in_win_rate,
        cast(is_lost_in_win_rate as boolean) as is_lost_in_win_rate,
        cast(first_meeting_at as timestamp) as first_meeting_at,
        cast(cycle_days_from_created as integer) as cycle_days_from_created,
        cast(cycle_days_from_first_meeting as integer) as cycle_days_from_first_meeting,
        cast(first_decision_maker_meeting_at as timestamp) as first_decision_maker_meeting_at,
        cast(has_met_decision_maker_before_proposal as boolean) as has_met_decision_maker_before_proposal,
        cast(is_past_proposal as boolean) as is_past_proposal,
        cast(is_at_risk as boolean) as is_at_risk,
        cast(activity_count as integer) as activity_count,
        cast(activity_hours as decimal(18, 2)) as activity_hours
    from outcomes

)

select * from final
