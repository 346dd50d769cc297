-- Every booked deal is in exactly one period of each grain: per grain, the booked deals and their EUR
-- amount in fct_order_intake add up to those of fct_deals. Returns a row per grain that does not.
{{ config(meta={'dagster': {'ref': {'name': 'fct_order_intake'}}}) }}

with

booked_deals as (

    select
        count(*) as booked_deal_count,
        coalesce(sum(amount_eur), 0) as booked_amount_eur,
        coalesce(sum(announcement_count), 0) as announcement_count
    from {{ ref('fct_deals') }}
    where booked_at is not null

),

per_grain as (

    select
        period_grain,
        sum(booked_deal_count) as booked_deal_count,
        sum(booked_amount_eur) as booked_amount_eur,
        sum(announcement_count) as announcement_count
    from {{ ref('fct_order_intake') }}
    group by period_grain

)

select
    per_grain.period_grain,
    per_grain.booked_deal_count,
    booked_deals.booked_deal_count as expected_booked_deal_count,
    per_grain.booked_amount_eur,
    booked_deals.booked_amount_eur as expected_booked_amount_eur
from per_grain
cross join booked_deals
where per_grain.booked_deal_count <> booked_deals.booked_deal_count
   or per_grain.booked_amount_eur <> booked_deals.booked_amount_eur
   or per_grain.announcement_count <> booked_deals.announcement_count
