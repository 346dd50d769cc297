-- Reconciliation: every won deal that no invoice has been matched to (yet), and how long ago it was signed,
-- counted in days to the data's as-of date (the newest export date; never the current date). A row points
-- at the CRM export row of the deal's latest state.
with

deals as (

    select * from {{ ref('fct_deals') }}

),

as_of as (

    {{ data_as_of_date_query() }}

),

final as (

    select
        cast(deals.deal_id as varchar) as deal_id,
        cast(deals.source_deal_id as varchar) as source_deal_id,
        cast(deals.deal_name as varchar) as deal_name,
        cast(deals.account_id as varchar) as account_id,
        cast(deals.owner_id as varchar) as owner_id,
        cast(deals.amount as decimal(18, 2)) as amount,
        cast(deals.currency as varchar) as currency,
        cast(deals.amount_eur as decimal(18, 2)) as amount_eur,
        cast(deals.signed_at as timestamp) as signed_at,
        cast(as_of.as_of_date as date) as as_of_date,
        cast({{ dbt.datediff(dbt.cast('deals.signed_at', 'date'), 'as_of.as_of_date', 'day') }} as integer) as days_since_signature,
        cast(deals.credited_amount as decimal(18, 2)) as credited_amount,
        cast(deals.source_file as varchar) as source_file,
        cast(deals.source_row as bigint) as source_row
    from deals
    cross join as_of
    where deals.status = 'won'
      and deals.first_invoiced_at is null

)

select * from final
