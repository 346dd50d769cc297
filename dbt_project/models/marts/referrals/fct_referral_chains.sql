-- One row per account in the account referral graph (referred, or referring another account): its
-- generation (referral steps up to the root: 0 for a root that nobody referred, 1 for an account the
-- root referred, ...), the root and the path. An account whose chain runs into a cycle has no root and
-- no generation (NULL): has_cycle_upstream, and is_on_cycle when the account itself is on the cycle.
with

edges as not materialized (

    select * from {{ ref('int_referral_edges_collected') }}
    where edge_source = 'account'

),

walks as not materialized (

    select * from {{ ref('int_referral_paths_walked') }}

),

graph_accounts as (

    select referred_account_id as account_id from edges
    union
    select referrer_account_id as account_id from edges

),

last_steps as (

    select *
    from walks
    qualify row_number() over (partition by account_id order by step_count desc) = 1

),

on_cycle as (

    select distinct account_id
    from walks
    where ancestor_account_id = account_id

),

final as (

    select
        cast(graph_accounts.account_id as varchar) as account_id,
        cast(
            case
                when last_steps.account_id is null then graph_accounts.account_id
                when not last_steps.is_cycle then last_steps.ancestor_account_id
            end as varchar
        ) as root_account_id,
        cast(
            case
                when last_steps.account_id is null then 0
                when not last_steps.is_cycle then last_steps.step_count
            end as integer
        ) as generation,
        cast(coalesce(last_steps.referral_path, graph_accounts.account_id) as varchar) as referral_path,
        cast(coalesce(last_steps.is_cycle, false) as boolean) as has_cycle_upstream,
        cast(on_cycle.account_id is not null as boolean) as is_on_cycle
    from graph_accounts
    left join last_steps
        on last_steps.account_id = graph_accounts.account_id
    left join on_cycle
        on on_cycle.account_id = graph_accounts.account_id

)

select * from final
