-- The observed referral multiplier and what it implies: one row per future buying cycle 1..N (var
-- referral_projection_cycles).
--   multiplier m = referred deals won / referring customers (distinct accounts that referred a deal)
--   projected_new_customers (cycle n) = m^n; projected_cumulative_customers (cycle n) = m + m^2 + ... + m^n
-- With m = 3: 3, 9, 27 new and 3, 12, 39 cumulative. NULL multiplier (and projection) when no deal was
-- referred; the counts are 0 then.
with

edges as (

    select * from {{ ref('int_referral_edges_collected') }}
    where edge_source = 'deal'

),

deals as (

    select * from {{ ref('fct_deals') }}

),

observed as (

    select
        count(distinct edges.referrer_account_id) as referring_customer_count,
        count(case when deals.status = 'won' then 1 end) as referred_won_deal_count
    from edges
    inner join deals
        on deals.deal_id = edges.referred_deal_id

),

with_multiplier as (

    select
        observed.*,
        1.0 * referred_won_deal_count / nullif(referring_customer_count, 0) as multiplier
    from observed

),

cycles as (

    {%- for cycle in range(1, var('referral_projection_cycles') + 1) %}
    select {{ cycle }} as cycle_number
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast(cycles.cycle_number as integer) as cycle_number,
        cast(with_multiplier.referring_customer_count as integer) as referring_customer_count,
        cast(with_multiplier.referred_won_deal_count as integer) as referred_won_deal_count,
        cast(with_multiplier.multiplier as double) as multiplier,
        cast(power(with_multiplier.multiplier, cycles.cycle_number) as double) as projected_new_customers,
        cast(
            case
                when with_multiplier.multiplier = 1 then cycles.cycle_number
                else with_multiplier.multiplier * (power(with_multiplier.multiplier, cycles.cycle_number) - 1)
                    / (with_multiplier.multiplier - 1)
            end as double
        ) as projected_cumulative_customers
    from cycles
    cross join with_multiplier

)

select * from final
