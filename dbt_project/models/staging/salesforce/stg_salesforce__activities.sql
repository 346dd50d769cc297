-- Salesforce tasks and events in the shape of stg_crm__activities. WhatId names the opportunity when it
-- has the Opportunity key prefix 006, WhoId the contact when it has the Contact prefix 003.
with

tasks as (

    select * from {{ source('salesforce', 'tasks') }}

),

events as (

    select * from {{ source('salesforce', 'events') }}

),

task_activities as (

    select
        {{ source_key('salesforce', 'id') }} as activity_id,
        trim(id) as source_activity_id,
        case when what_id like '006%' then {{ source_key('salesforce', 'what_id') }} end as deal_id,
        case when who_id like '003%' then {{ source_key('salesforce', 'who_id') }} end as contact_id,
        {{ source_key('salesforce', 'owner_id') }} as owner_id,
        lower(coalesce(nullif(trim(task_subtype), ''), nullif(trim(type), ''), 'task')) as activity_type,
        coalesce(completed_date_time, cast(activity_date as timestamp), created_date) as activity_at,
        cast(call_duration_in_seconds / 60 as integer) as duration_minutes,
        {{ lineage_columns() }}
    from tasks
    where not coalesce(is_deleted, false)

),

event_activities as (

    select
        {{ source_key('salesforce', 'id') }} as activity_id,
        trim(id) as source_activity_id,
        case when what_id like '006%' then {{ source_key('salesforce', 'what_id') }} end as deal_id,
        case when who_id like '003%' then {{ source_key('salesforce', 'who_id') }} end as contact_id,
        {{ source_key('salesforce', 'owner_id') }} as owner_id,
        lower(coalesce(nullif(trim(event_subtype), ''), nullif(trim(type), ''), 'meeting')) as activity_type,
        coalesce(start_date_time, activity_date_time, cast(activity_date as timestamp), created_date) as activity_at,
        duration_in_minutes as duration_minutes,
        {{ lineage_columns() }}
    from events
    where not coalesce(is_deleted, false)

),

unioned as (

    select * from task_activities
    union all
    select * from event_activities

)

select * from unioned
