-- One row per referral: an account that names the account that referred it (dim_accounts
-- .referred_by_account_id, edge_source 'account'), and a deal that names the customer account that
-- referred it (fct_deals.referrer_account_id, edge_source 'deal'). The CRM records referrers as accounts
-- only (contacts carry no referrer), so every edge runs from an account to an account (and its deal).
with

accounts as (

    select * from {{ ref('dim_accounts') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

edges as (

    select
        'account:' || account_id as referral_id,
        'account' as edge_source,
        referred_by_account_id as referrer_account_id,
        account_id as referred_account_id,
        cast(null as varchar) as referred_deal_id
    from accounts
    where referred_by_account_id is not null
    union all
    select
        'deal:' || deal_id as referral_id,
        'deal' as edge_source,
        referrer_account_id,
        account_id as referred_account_id,
        deal_id as referred_deal_id
    from deals
    where referrer_account_id is not null

)

select * from edges
