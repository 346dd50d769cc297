-- Every milestone of every real deal in one shape: created, qualified, proposal, verbal_order,
-- contract_signed, invoiced, credited, lost, reopened. Billing events carry their match rule and evidence.
with

deal_events as (

    select * from {{ ref('int_deal_events_unioned') }}

),

final as (

    select
        cast(event_id as varchar) as event_id,
        cast(deal_id as varchar) as deal_id,
        cast(event_type as varchar) as event_type,
        cast(event_at as timestamp) as event_at,
        cast(amount as decimal(18, 2)) as amount,
        cast(currency as varchar) as currency,
        cast(source_system as varchar) as source_system,
        cast(source_record_id as varchar) as source_record_id,
        cast(source_file as varchar) as source_file,
        cast(source_row as bigint) as source_row,
        cast(match_rule as varchar) as match_rule,
        cast(match_evidence as varchar) as match_evidence
    from deal_events

)

select * from final
