-- One row per real deal: deleted deals and merged-away duplicates removed, every milestone once, the
-- amount in EUR (int_deals_consolidated: rate of the signature month for won deals, of the creation month
-- for the others), what was invoiced and credited, and the booking date per the booking policy (macro
-- booked_at, var booking_policy).
with

deals as (

    select * from {{ ref('int_deals_consolidated') }}

),

deal_events as (

    select * from {{ ref('int_deal_events_unioned') }}

),

event_summary as (

    select
        deal_id,
        count(case when event_type = 'verbal_order' then 1 end) as verbal_order_event_count,
        count(case when event_type = 'contract_signed' then 1 end) as contract_signed_event_count,
        count(case when event_type = 'invoiced' then 1 end) as invoiced_event_count,
        min(case when event_type = 'invoiced' then event_at end) as first_invoiced_at,
        sum(case when event_type = 'invoiced' then amount else 0 end) as invoiced_amount,
        sum(case when event_type = 'credited' then abs(amount) else 0 end) as credited_amount
    from deal_events
    group by deal_id

),

with_events as (

    select
        deals.*,
        event_summary.first_invoiced_at,
        coalesce(event_summary.invoiced_amount, 0) as invoiced_amount,
        coalesce(event_summary.credited_amount, 0) as credited_amount,
        coalesce(event_summary.verbal_order_event_count, 0) as verbal_order_announcement_count,
        coalesce(event_summary.contract_signed_event_count, 0) as signature_announcement_count,
        case when event_summary.invoiced_event_count > 0 then 1 else 0 end as invoice_announcement_count
    from deals
    left join event_summary
        on event_summary.deal_id = deals.deal_id

),

final as (

    select
        cast(with_events.deal_id as varchar) as deal_id,
        cast(with_events.source_system as varchar) as source_system,
        cast(with_events.source_deal_id as varchar) as source_deal_id,
        cast(with_events.deal_name as varchar) as deal_name,
        cast(with_events.account_id as varchar) as account_id,
        cast(with_events.owner_id as varchar) as owner_id,
        cast(with_events.lead_source as varchar) as lead_source,
        cast(with_events.referrer_account_id as varchar) as referrer_account_id,
        cast(with_events.status as varchar) as status,
        cast(with_events.stage as varchar) as stage,
        cast(with_events.stage_probability as decimal(5, 2)) as stage_probability,
        cast(with_events.amount as decimal(18, 2)) as amount,
        cast(with_events.currency as varchar) as currency,
        cast(with_events.amount_eur as decimal(18, 2)) as amount_eur,
        cast(with_events.created_at as timestamp) as created_at,
        cast(with_events.verbal_order_at as timestamp) as verbal_order_at,
        cast(with_events.signed_at as timestamp) as signed_at,
        cast(with_events.closed_at as timestamp) as closed_at,
        cast(with_events.first_invoiced_at as timestamp) as first_invoiced_at,
        cast({{ booked_at(
            'with_events.status',
            'with_events.verbal_order_at',
            'with_events.signed_at',
            'with_events.first_invoiced_at'
        ) }} as timestamp) as booked_at,
        cast(with_events.invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(with_events.credited_amount as decimal(18, 2)) as credited_amount,
        cast(
            with_events.verbal_order_announcement_count
            + with_events.signature_announcement_count
            + with_events.invoice_announcement_count
            as integer
        ) as announcement_count,
        cast(with_events.verbal_order_announcement_count as integer) as verbal_order_announcement_count,
        cast(with_events.signature_announcement_count as integer) as signature_announcement_count,
        cast(with_events.invoice_announcement_count as integer) as invoice_announcement_count,
        cast(with_events.merged_record_count as integer) as merged_record_count,
        cast(with_events.lost_reason as varchar) as lost_reason,
        cast(with_events.expected_close_date as date) as expected_close_date,
        cast(with_events.source_file as varchar) as source_file,
        cast(with_events.source_row as bigint) as source_row
    from with_events

)

select * from final
