-- Order intake counted once: one row per period (month, quarter, year) from the period of the first deal
-- to the period of the data's as-of date (the newest export date), with the real deals booked in it
-- (fct_deals.booked_at, var booking_policy), their amount in EUR, and how often those deals were
-- announced (verbal orders + signatures + first invoice, as fct_deals.announcement_count).
-- A period without bookings is a row with zeros; its announcement_inflation is NULL (no deals to divide by).
with

deals as not materialized (

    select * from {{ ref('fct_deals') }}

),

dates as not materialized (

    select * from {{ ref('dim_dates') }}

),

as_of as (

    {{ data_as_of_date_query() }}

),

booked_deals as (

    select
        deal_id,
        cast(booked_at as date) as booked_date,
        amount_eur,
        announcement_count,
        verbal_order_announcement_count,
        signature_announcement_count,
        invoice_announcement_count
    from deals
    where booked_at is not null

),

covered_range as (

    -- Every booking falls inside, even one dated after the as-of date: no amount is ever left out.
    select
        least(min(cast(deals.created_at as date)), min(cast(deals.booked_at as date))) as first_date,
        greatest(max(as_of.as_of_date), max(cast(deals.booked_at as date))) as last_date,
        max(as_of.as_of_date) as as_of_date
    from deals
    cross join as_of

),

period_days as (

    select
        'month' as period_grain,
        month_start_date as period_start_date,
        date_day
    from dates

    union all

    select
        'quarter' as period_grain,
        quarter_start_date as period_start_date,
        date_day
    from dates

    union all

    select
        'year' as period_grain,
        year_start_date as period_start_date,
        date_day
    from dates

),

periods as (

    select
        period_days.period_grain,
        period_days.period_start_date,
        max(period_days.date_day) as period_end_date,
        max(covered_range.as_of_date) as as_of_date
    from period_days
    cross join covered_range
    group by
        period_days.period_grain,
        period_days.period_start_date
    having max(period_days.date_day) >= max(covered_range.first_date)
       and min(period_days.date_day) <= max(covered_range.last_date)

),

bookings as (

    select
        period_days.period_grain,
        period_days.period_start_date,
        count(*) as booked_deal_count,
        sum(booked_deals.amount_eur) as booked_amount_eur,
        sum(booked_deals.announcement_count) as announcement_count,
        sum(booked_deals.verbal_order_announcement_count) as verbal_order_announcement_count,
        sum(booked_deals.signature_announcement_count) as signature_announcement_count,
        sum(booked_deals.invoice_announcement_count) as invoice_announcement_count
    from booked_deals
    inner join period_days
        on period_days.date_day = booked_deals.booked_date
    group by
        period_days.period_grain,
        period_days.period_start_date

),

final as (

    select
        cast(periods.period_grain as varchar) as period_grain,
        cast(periods.period_start_date as date) as period_start_date,
        cast(periods.period_end_date as date) as period_end_date,
        cast(periods.period_end_date <= periods.as_of_date as boolean) as is_complete_period,
        cast(periods.as_of_date as date) as as_of_date,
        cast('{{ var("booking_policy", "signature") }}' as varchar) as booking_policy,
        cast(coalesce(bookings.booked_deal_count, 0) as integer) as booked_deal_count,
        cast(coalesce(bookings.booked_amount_eur, 0) as decimal(18, 2)) as booked_amount_eur,
        cast(coalesce(bookings.announcement_count, 0) as integer) as announcement_count,
        cast(coalesce(bookings.verbal_order_announcement_count, 0) as integer) as verbal_order_announcement_count,
        cast(coalesce(bookings.signature_announcement_count, 0) as integer) as signature_announcement_count,
        cast(coalesce(bookings.invoice_announcement_count, 0) as integer) as invoice_announcement_count,
        cast(
            case
                when bookings.booked_deal_count > 0
                    then round(bookings.announcement_count * 1.0 / bookings.booked_deal_count, 4)
            end
            as decimal(10, 4)
        ) as announcement_inflation
    from periods
    left join bookings
        on bookings.period_grain = periods.period_grain
        and bookings.period_start_date = periods.period_start_date

)

select * from final
