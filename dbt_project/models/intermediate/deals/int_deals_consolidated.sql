-- One row per real deal: the latest state of the surviving record (deleted records and merged-away
-- duplicates removed), its account after manual account merges, its status from the current stage's
-- milestone, the milestone times from the stage history of the deal and of the records merged into it, and
-- the amount in EUR: round(amount * eur_per_unit, 2) at the rate of the signature month for won deals, of
-- the creation month for the others (seeds/fx_rates.csv).
with

deal_records as (

    select * from {{ ref('int_deals_deduplicated') }}

),

deal_merges as not materialized (

    select * from {{ ref('int_deal_merges_resolved') }}

),

stage_changes as (

    select * from {{ ref('int_deal_stage_changes_deduplicated') }}

),

stage_milestones as (

    select * from {{ ref('stage_milestones') }}

),

accounts as not materialized (

    select * from {{ ref('int_accounts_merged') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

real_deals as (

    select deal_records.*
    from deal_records
    inner join deal_merges
        on deal_merges.deal_id = deal_records.deal_id
    where deal_merges.is_real_deal

),

merged_records as (

    select
        surviving_deal_id as deal_id,
        count(*) - 1 as merged_record_count
    from deal_merges
    where surviving_deal_id is not null
    group by surviving_deal_id

),

milestone_times as (

    select
        deal_id,
        min(case when milestone = 'verbal_order' then changed_at end) as verbal_order_at,
        max(case when milestone = 'contract_signed' then changed_at end) as last_signed_at,
        max(case when milestone = 'lost' then changed_at end) as last_lost_at,
        min(case when change_number = 1 and record_deal_id = deal_id then amount end) as first_amount
    from stage_changes
    group by deal_id

),

with_status as (

    select
        real_deals.*,
        stage_milestones.milestone,
        stage_milestones.stage_probability,
        case stage_milestones.milestone
            when 'contract_signed' then 'won'
            when 'lost' then 'lost'
            else case when stage_milestones.milestone is not null then 'open' end
        end as status
    from real_deals
    left join stage_milestones
        on stage_milestones.source_system = real_deals.source_system
        and lower(stage_milestones.stage_name) = lower(real_deals.stage)

),

with_times as (

    select
        with_status.*,
        milestone_times.verbal_order_at,
        milestone_times.first_amount,
        case
            when with_status.status = 'won' then coalesce(milestone_times.last_signed_at, with_status.updated_at)
        end as signed_at,
        case
            when with_status.status = 'won' then coalesce(milestone_times.last_signed_at, with_status.updated_at)
            when with_status.status = 'lost' then coalesce(milestone_times.last_lost_at, with_status.updated_at)
        end as closed_at
    from with_status
    left join milestone_times
        on milestone_times.deal_id = with_status.deal_id

),

with_fx_month as (

    select
        with_times.*,
        {{ rate_month("case when with_times.status = 'won' then with_times.signed_at else with_times.created_at end") }} as fx_rate_month
    from with_times

),

final as (

    select
        with_fx_month.deal_id,
        with_fx_month.source_system,
        with_fx_month.source_deal_id,
        with_fx_month.deal_name,
        coalesce(deal_account.surviving_account_id, with_fx_month.account_id) as account_id,
        with_fx_month.owner_id,
        with_fx_month.lead_source,
        coalesce(referrer_account.surviving_account_id, with_fx_month.referrer_account_id) as referrer_account_id,
        with_fx_month.status,
        with_fx_month.stage,
        with_fx_month.milestone,
        with_fx_month.stage_probability,
        with_fx_month.amount,
        coalesce(with_fx_month.first_amount, with_fx_month.amount) as first_amount,
        with_fx_month.currency,
        with_fx_month.fx_rate_month,
        fx_rates.eur_per_unit,
        {{ to_reporting_currency('with_fx_month.amount', 'fx_rates.eur_per_unit') }} as amount_eur,
        with_fx_month.created_at,
        with_fx_month.verbal_order_at,
        with_fx_month.signed_at,
        with_fx_month.closed_at,
        with_fx_month.updated_at,
        with_fx_month.expected_close_date,
        with_fx_month.lost_reason,
        with_fx_month.quote_number,
        with_fx_month.po_number,
        coalesce(merged_records.merged_record_count, 0) as merged_record_count,
        with_fx_month.source_file,
        with_fx_month.source_row
    from with_fx_month
    left join fx_rates
        on fx_rates.currency = with_fx_month.currency
        and fx_rates.rate_month = with_fx_month.fx_rate_month
    left join merged_records
        on merged_records.deal_id = with_fx_month.deal_id
    left join accounts as deal_account
        on deal_account.account_id = with_fx_month.account_id
    left join accounts as referrer_account
        on referrer_account.account_id = with_fx_month.referrer_account_id

)

select * from final
