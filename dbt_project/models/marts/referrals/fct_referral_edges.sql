-- The referral graph: one row per referral, from the referring account to the referred account (and,
-- for a referred deal, the deal). Account referrals build the chains (fct_referral_chains); deal
-- referrals drive the multiplier (fct_referral_multiplier) and referred-vs-other win rates.
with

edges as (

    select * from {{ ref('int_referral_edges_collected') }}

),

final as (

    select
        cast(referral_id as varchar) as referral_id,
        cast(edge_source as varchar) as edge_source,
        cast(referrer_account_id as varchar) as referrer_account_id,
        cast(referred_account_id as varchar) as referred_account_id,
        cast(referred_deal_id as varchar) as referred_deal_id
    from edges

)

select * from final
