-- Which CRM account every billing customer is, by the strongest evidence available:
--   1. manual   seeds/account_merges.csv names the customer ('billing:C...' -> account_id)
--   2. kvk      the customer's KvK number equals exactly one account's
--   3. name     one of the customer's names, normalised (macro normalize_company_name), equals the
--               normalised name of exactly one account
-- An ambiguous KvK number or name matches nothing (match_rule NULL): add the customer to the seed.
with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

accounts as not materialized (

    select * from {{ ref('int_accounts_merged') }}

),

account_name_rows as (

    select
        account_id,
        account_name
    from {{ ref('int_account_records_unioned') }}

),

account_merges as (

    select * from {{ ref('account_merges') }}

),

customers as (

    select
        customer_id,
        customer_name,
        customer_kvk,
        row_number() over (
            partition by customer_id
            order by invoice_date desc, export_date desc, source_row desc
        ) as latest_rank
    from invoices
    where customer_id is not null

),

customer_latest as (

    select
        customer_id,
        customer_name
    from customers
    where latest_rank = 1

),

customer_kvk as (

    select
        customer_id,
        customer_kvk,
        row_number() over (partition by customer_id order by latest_rank) as kvk_rank
    from customers
    where customer_kvk is not null

),

customer_names as (

    select distinct
        customer_id,
        {{ normalize_company_name('customer_name') }} as name_normalized
    from customers

),

surviving_accounts as (

    select distinct
        surviving_account_id as account_id,
        kvk_number
    from accounts
    where kvk_number is not null

),

account_names as (

    select distinct
        accounts.surviving_account_id as account_id,
        {{ normalize_company_name('account_name_rows.account_name') }} as name_normalized
    from account_name_rows
    inner join accounts
        on accounts.account_id = account_name_rows.account_id

),

manual_matches as (

    select
        trim(source_account_id) as customer_id,
        min(trim(account_id)) as account_id,
        min(merge_reason) as merge_reason
    from account_merges
    where trim(source_account_id) like 'billing:%'
    group by 1

),

kvk_candidates as (

    select
        customer_kvk.customer_id,
        customer_kvk.customer_kvk,
        surviving_accounts.account_id
    from customer_kvk
    inner join surviving_accounts
        on surviving_accounts.kvk_number = customer_kvk.customer_kvk
    where customer_kvk.kvk_rank = 1

),

kvk_matches as (

    select
        customer_id,
        min(customer_kvk) as customer_kvk,
        min(account_id) as account_id
    from kvk_candidates
    group by customer_id
    having count(distinct account_id) = 1

),

name_candidates as (

    select distinct
        customer_names.customer_id,
        customer_names.name_normalized,
        account_names.account_id
    from customer_names
    inner join account_names
        on account_names.name_normalized = customer_names.name_normalized

),

name_matches as (

    select
        customer_id,
        min(name_normalized) as name_normalized,
        min(account_id) as account_id
    from name_candidates
    group by customer_id
    having count(distinct account_id) = 1

),

final as (

    select
        customer_latest.customer_id,
        customer_latest.customer_name,
        {{ normalize_company_name('customer_latest.customer_name') }} as customer_name_normalized,
        coalesce(manual_matches.account_id, kvk_matches.account_id, name_matches.account_id) as account_id,
        case
            when manual_matches.account_id is not null then 'manual'
            when kvk_matches.account_id is not null then 'kvk_number'
            when name_matches.account_id is not null then 'normalized_name'
        end as match_rule,
        case
            when manual_matches.account_id is not null
                then 'seed account_merges: ' || coalesce(manual_matches.merge_reason, 'no reason given')
            when kvk_matches.account_id is not null
                then 'kvk_number ' || kvk_matches.customer_kvk
            when name_matches.account_id is not null
                then 'normalized name ' || name_matches.name_normalized
        end as match_evidence
    from customer_latest
    left join manual_matches
        on manual_matches.customer_id = customer_latest.customer_id
    left join kvk_matches
        on kvk_matches.customer_id = customer_latest.customer_id
    left join name_matches
        on name_matches.customer_id = customer_latest.customer_id

)

select * from final
