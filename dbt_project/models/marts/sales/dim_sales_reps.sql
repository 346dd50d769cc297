-- One row per CRM user who can own deals (sales reps), in their latest exported state.
with

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

final as (

    select
        cast(owner_id as varchar) as owner_id,
        cast('crm' as varchar) as source_system,
        cast(source_owner_id as varchar) as source_owner_id,
        cast(full_name as varchar) as full_name,
        cast(team as varchar) as team,
        cast(is_active as boolean) as is_active,
        cast(first_export_date as date) as first_export_date,
        cast(last_export_date as date) as last_export_date
    from users

)

select * from final
