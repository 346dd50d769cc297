-- One row per CRM account (manually merged duplicates removed: seeds/account_merges.csv), with how many
-- billing customers were matched to it.
with

accounts as not materialized (

    select * from {{ ref('int_accounts_merged') }}

),

customers as (

    select * from {{ ref('int_customers_matched') }}

),

merged_accounts as (

    select
        surviving_account_id as account_id,
        count(*) - 1 as merged_account_count
    from accounts
    group by surviving_account_id

),

billing_customers as (

    select
        account_id,
        count(*) as billing_customer_count
    from customers
    where account_id is not null
    group by account_id

),

final as (

    select
        cast(accounts.account_id as varchar) as account_id,
        cast('crm' as varchar) as source_system,
        cast(accounts.source_account_id as varchar) as source_account_id,
        cast(accounts.account_name as varchar) as account_name,
        cast(accounts.account_name_normalized as varchar) as account_name_normalized,
        cast(accounts.kvk_number as varchar) as kvk_number,
        cast(accounts.vat_number as varchar) as vat_number,
        cast(accounts.city as varchar) as city,
        cast(accounts.industry as varchar) as industry,
        cast(coalesce(referrer.surviving_account_id, accounts.referred_by_account_id) as varchar) as referred_by_account_id,
        cast(accounts.created_at as timestamp) as created_at,
        cast(accounts.updated_at as timestamp) as updated_at,
        cast(coalesce(merged_accounts.merged_account_count, 0) as integer) as merged_account_count,
        cast(coalesce(billing_customers.billing_customer_count, 0) as integer) as billing_customer_count
    from accounts
    left join accounts as referrer
        on referrer.account_id = accounts.referred_by_account_id
    left join merged_accounts
        on merged_accounts.account_id = accounts.account_id
    left join billing_customers
        on billing_customers.account_id = accounts.account_id
    where accounts.surviving_account_id = accounts.account_id

)

select * from final
