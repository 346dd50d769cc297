-- Win rate and no-go rate per period (month, quarter, year, by close date) and breakdown (total, owner,
-- team, lead source, referred or not, decision maker met or not). Denominator: deals closed in the
-- period (won + lost), excluding disqualified leads (lost before reaching qualification); merged-away
-- duplicates and deleted records are not deals at all (fct_deals). Every period of the spine is a row:
-- counts 0, ratios NULL when nothing closed. Also the effort spent on every deal lost in the period.
with

spine as (

    select * from {{ ref('int_performance_spine') }}

),

deal_breakdowns as (

    select * from {{ ref('int_deal_breakdowns_unpivoted') }}

),

closed_deals as (

    select *
    from deal_breakdowns
    where is_closed

),

aggregated as (

    select
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value,
        count(case when closed_deals.is_in_win_rate then 1 end) as closed_deal_count,
        count(case when closed_deals.is_won_in_win_rate then 1 end) as won_deal_count,
        count(case when closed_deals.is_lost_in_win_rate then 1 end) as lost_deal_count,
        count(case when closed_deals.is_disqualified then 1 end) as disqualified_deal_count,
        coalesce(sum(case when closed_deals.is_in_win_rate then closed_deals.amount_eur end), 0) as closed_amount_eur,
        coalesce(sum(case when closed_deals.is_won_in_win_rate then closed_deals.amount_eur end), 0) as won_amount_eur,
        coalesce(sum(case when closed_deals.is_lost_in_win_rate then closed_deals.amount_eur end), 0) as lost_amount_eur,
        coalesce(sum(case when closed_deals.status = 'lost' then closed_deals.activity_count end), 0)
            as lost_deal_activity_count,
        coalesce(sum(case when closed_deals.status = 'lost' then closed_deals.activity_hours end), 0)
            as lost_deal_activity_hours
    from spine
    left join closed_deals
        on closed_deals.breakdown = spine.breakdown
        and closed_deals.breakdown_value = spine.breakdown_value
        and closed_deals.closed_date >= spine.period_start_date
        and closed_deals.closed_date < spine.period_end_date
    group by
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value

),

final as (

    select
        cast(period_grain as varchar) as period_grain,
        cast(period_start_date as date) as period_start_date,
        cast(breakdown as varchar) as breakdown,
        cast(breakdown_value as varchar) as breakdown_value,
        cast(closed_deal_count as integer) as closed_deal_count,
        cast(won_deal_count as integer) as won_deal_count,
        cast(lost_deal_count as integer) as lost_deal_count,
        cast(disqualified_deal_count as integer) as disqualified_deal_count,
        cast(closed_amount_eur as decimal(18, 2)) as closed_amount_eur,
        cast(won_amount_eur as decimal(18, 2)) as won_amount_eur,
        cast(lost_amount_eur as decimal(18, 2)) as lost_amount_eur,
        cast(1.0 * won_deal_count / nullif(closed_deal_count, 0) as double) as win_rate_count,
        cast(won_amount_eur / nullif(closed_amount_eur, 0) as double) as win_rate_amount,
        cast(1.0 * lost_deal_count / nullif(closed_deal_count, 0) as double) as no_go_rate_count,
        cast(lost_amount_eur / nullif(closed_amount_eur, 0) as double) as no_go_rate_amount,
        cast(lost_deal_activity_count as integer) as lost_deal_activity_count,
        cast(lost_deal_activity_hours as decimal(18, 2)) as lost_deal_activity_hours
    from aggregated

)

select * from final
