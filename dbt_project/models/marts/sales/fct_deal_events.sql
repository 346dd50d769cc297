-- Every milestone of every real deal in one shape: created, qualified, proposal, verbal_order,
-- contract_signed, invoiced, credited, lost, reopened. Billing events carry their match rule and evidence.
-- A view of int_deal_events_unioned, which stores them typed and incrementally (per deal): a table here
-- wrote every event a second time in every run (7.0 s at 1M deals, docs/benchmarks.md). Publish copies it
-- into the serving file as a table, as every mart.
{{ config(materialized='view') }}

select * from {{ ref('int_deal_events_unioned') }}
