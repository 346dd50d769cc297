-- The latest state of every CRM account across the daily exports (by updated_at, then the later export,
-- then the later row), and the account it survives as: seeds/account_merges.csv merges duplicate CRM
-- accounts by hand (source_account_id 'crm:A...' -> account_id). Every name the account was ever
-- exported under is kept (normalised) for matching billing customers.
with

account_rows as not materialized (

    select * from {{ ref('int_account_records_unioned') }}

),

account_merges as (

    select * from {{ ref('account_merges') }}

),

ranked as (

    select
        account_rows.*,
        row_number() over (
            partition by account_id
            order by
                updated_at desc nulls last,
                export_date desc,
                source_row desc,
                load_id desc
        ) as state_rank
    from account_rows

),

latest_kvk as (

    select
        account_id,
        kvk_number,
        row_number() over (
            partition by account_id
            order by updated_at desc nulls last, export_date desc, source_row desc
        ) as kvk_rank
    from account_rows
    where kvk_number is not null

),

crm_merges as (

    select
        trim(source_account_id) as merged_account_id,
        trim(account_id) as surviving_account_id,
        merge_reason
    from account_merges
    where trim(source_account_id) like 'crm:%'

),

final as (

    select
        ranked.account_id,
        coalesce(crm_merges.surviving_account_id, ranked.account_id) as surviving_account_id,
        crm_merges.merge_reason,
        ranked.source_account_id,
        ranked.account_name,
        {{ normalize_company_name('ranked.account_name') }} as account_name_normalized,
        coalesce(ranked.kvk_number, latest_kvk.kvk_number) as kvk_number,
        ranked.vat_number,
        ranked.city,
        ranked.industry,
        ranked.referred_by_account_id,
        ranked.created_at,
        ranked.updated_at,
        ranked.source_file,
        ranked.source_row
    from ranked
    left join latest_kvk
        on latest_kvk.account_id = ranked.account_id
        and latest_kvk.kvk_rank = 1
    left join crm_merges
        on crm_merges.merged_account_id = ranked.account_id
    where ranked.state_rank = 1

)

select * from final
