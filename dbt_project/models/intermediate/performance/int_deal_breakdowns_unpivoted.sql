-- One row per deal and breakdown: the dimensions every per-period performance mart is cut by, in one
-- long shape (breakdown, breakdown_value), so each mart aggregates once and the 'total' breakdown is
-- just another value. A missing value is 'unknown', never NULL (it is part of the grain). Each row
-- carries the deal's outcome columns (int_deal_outcomes_classified), so the marts need no further join.
-- A view: each mart reads only the few columns it aggregates, six scans of the outcomes, where a table
-- wrote six copies of every column (12 s at 1M deals, docs/benchmarks.md).
{{ config(materialized='view') }}

with

outcomes as not materialized (

    select * from {{ ref('int_deal_outcomes_classified') }}

),

unpivoted as (

    select 'total' as breakdown, 'all' as breakdown_value, * from outcomes
    union all
    select 'owner' as breakdown, owner_id as breakdown_value, * from outcomes
    union all
    select 'team' as breakdown, team as breakdown_value, * from outcomes
    union all
    select 'lead_source' as breakdown, lead_source as breakdown_value, * from outcomes
    union all
    select
        'referral' as breakdown,
        case when is_referred then 'referred' else 'other' end as breakdown_value,
        *
    from outcomes
    union all
    select
        'decision_maker' as breakdown,
        case when has_met_decision_maker_before_proposal then 'met' else 'not_met' end as breakdown_value,
        *
    from outcomes

),

final as (

    select
        breakdown,
        coalesce(breakdown_value, 'unknown') as breakdown_value,
        * exclude (breakdown, breakdown_value)
    from unpivoted

)

select * from final
