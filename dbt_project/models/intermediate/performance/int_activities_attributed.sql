-- One row per CRM activity in its latest exported state, attributed to the real deal it belongs to
-- (merged-away duplicates' activities move to the surviving deal; deleted deals' activities keep no
-- deal), the contact's current role, and the account it was spent on: the deal's account, else the
-- contact's. An activity is "with a customer" when that account had a won deal signed on or before the
-- activity (so the share is reproducible for any as-of date).
-- Incremental per activity: a run attributes again the activities a new load or a changed lookup can
-- change (macro activities_decided_again) and replaces their rows.
{{ replaced_per_record(
    records_decided_again='activities_decided_again',
    record_column='activity_id',
    inputs=['int_activity_records_unioned', 'int_contact_records_unioned'],
    kept_lookups=['surviving_deals', 'deal_accounts', 'first_signatures'],
) }}

with

activity_rows as (

    select * from {{ ref('int_activity_records_unioned') }}
    {{ only_records_decided_again('activity_id') }}

),

contact_rows as (

    select * from {{ ref('int_contact_records_unioned') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}

),

deals as not materialized (

    select * from {{ ref('fct_deals') }}

),

latest_activities as (

    select *
    from activity_rows
    qualify row_number() over (
        partition by activity_id
        order by export_date desc, source_row desc, load_id desc
    ) = 1

),

latest_contacts as (

    select *
    from contact_rows
    qualify row_number() over (
        partition by contact_id
        order by updated_at desc nulls last, export_date desc, source_row desc, load_id desc
    ) = 1

),

first_signatures as (

    {{ first_signatures_by_account('deals') }}

),

attributed as (

    select
        latest_activities.activity_id,
        deal_merges.surviving_deal_id as deal_id,
        latest_activities.contact_id,
        latest_activities.owner_id,
        latest_activities.activity_type,
        latest_activities.activity_at,
        latest_activities.duration_minutes,
        latest_contacts.contact_role,
        coalesce(deals.account_id, latest_contacts.account_id) as account_id
    from latest_activities
    left join deal_merges
        on deal_merges.deal_id = latest_activities.deal_id
    left join deals
        on deals.deal_id = deal_merges.surviving_deal_id
    left join latest_contacts
        on latest_contacts.contact_id = latest_activities.contact_id

),

final as (

    select
        attributed.activity_id,
        attributed.deal_id,
        attributed.contact_id,
        attributed.owner_id,
        attributed.account_id,
        attributed.activity_type,
        attributed.activity_at,
        coalesce(attributed.duration_minutes, 0) as duration_minutes,
        attributed.contact_role,
        attributed.activity_type = 'meeting' as is_meeting,
        coalesce(attributed.contact_role = 'decision_maker', false) as is_with_decision_maker,
        coalesce(first_signatures.first_signed_at <= attributed.activity_at, false) as is_with_customer
    from attributed
    left join first_signatures
        on first_signatures.account_id = attributed.account_id

)

select * from final
