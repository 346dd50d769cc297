-- Every account's walk up the account referral chain (who referred it, who referred that one, ...):
-- one row per account and step. A recursive CTE; the path so far is carried along, and a step that
-- reaches an account already on the path is marked is_cycle and not walked further, so a cycle in the
-- CRM data (A referred B, B referred A) ends instead of looping forever.
with recursive

edges as not materialized (

    select * from {{ ref('int_referral_edges_collected') }}
    where edge_source = 'account'

),

walk as (

    select
        referred_account_id as account_id,
        referrer_account_id as ancestor_account_id,
        1 as step_count,
        referred_account_id || ' > ' || referrer_account_id as referral_path,
        referrer_account_id = referred_account_id as is_cycle
    from edges

    union all

    select
        walk.account_id,
        edges.referrer_account_id as ancestor_account_id,
        walk.step_count + 1 as step_count,
        walk.referral_path || ' > ' || edges.referrer_account_id as referral_path,
        position(' ' || edges.referrer_account_id || ' ' in ' ' || walk.referral_path || ' ') > 0 as is_cycle
    from walk
    inner join edges
        on edges.referred_account_id = walk.ancestor_account_id
    where not walk.is_cycle

)

select * from walk
