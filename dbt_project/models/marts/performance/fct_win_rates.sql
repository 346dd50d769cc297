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

closed_per_period as (

    select
        performance_grains.period_grain,
        {{ performance_period_start('deal_breakdowns.closed_date') }} as period_start_date,
        deal_breakdowns.breakdown,
        deal_breakdowns.breakdown_value,
        count(case when deal_breakdowns.is_in_win_rate then 1 end) as closed_deal_count,
        count(case when deal_breakdowns.is_won_in_win_rate then 1 end) as won_deal_count,
        count(case when deal_breakdowns.is_lost_in_win_rate then 1 end) as lost_deal_count,
        count(case when deal_breakdowns.is_disqualified then 1 end) as disqualified_deal_count,
        sum(case when deal_breakdowns.is_in_win_rate then deal_breakdowns.amount_eur end) as closed_amount_eur,
        sum(case when deal_breakdowns.is_won_in_win_rate then deal_breakdowns.amount_eur end) as won_amount_eur,
        sum(case when deal_breakdowns.is_lost_in_win_rate then deal_breakdowns.amount_eur end) as lost_amount_eur,
        sum(case when deal_breakdowns.status = 'lost' then deal_breakdowns.activity_count end)
            as lost_deal_activity_count,
        sum(case when deal_breakdowns.status = 'lost' then deal_breakdowns.activity_hours end)
            as lost_deal_activity_hours
    from deal_breakdowns
    cross join {{ performance_grains() }}
    where deal_breakdowns.is_closed
    group by all

),

aggregated as (

    select
        spine.period_grain,
        spine.period_start_date,
        spine.breakdown,
        spine.breakdown_value,
        coalesce(closed_per_period.closed_deal_count, 0) as closed_deal_count,
        coalesce(closed_per_period.won_deal_count, 0) as won_deal_count,
        coalesce(closed_per_period.lost_deal_count, 0) as lost_deal_count,
        coalesce(closed_per_period.disqualified_deal_count, 0) as disqualified_deal_count,
        coalesce(closed_per_period.closed_amount_eur, 0) as closed_amount_eur,
        coalesce(closed_per_period.won_amount_eur, 0) as won_amount_eur,
        coalesce(closed_per_period.lost_amount_eur, 0) as lost_amount_eur,
        coalesce(closed_per_period.lost_deal_activity_count, 0) as lost_deal_activity_count,
        coalesce(closed_per_period.lost_deal_activity_hours, 0) as lost_deal_activity_hours
    from spine
    left join closed_per_period
        on closed_per_period.period_grain = spine.period_grain
        and closed_per_period.period_start_date = spine.period_start_date
        and closed_per_period.breakdown = spine.breakdown
        and closed_per_period.breakdown_value = spine.breakdown_value

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
