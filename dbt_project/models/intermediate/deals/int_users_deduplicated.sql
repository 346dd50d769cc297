-- The latest state of every CRM user (sales rep) across the daily exports: the latest export wins (the
-- users export carries no last-modified time).
with

user_rows as (

    select * from {{ ref('int_user_records_unioned') }}

),

ranked as (

    select
        user_rows.*,
        row_number() over (
            partition by owner_id
            order by export_date desc, source_row desc, load_id desc
        ) as state_rank,
        min(export_date) over (partition by owner_id) as first_export_date,
        max(export_date) over (partition by owner_id) as last_export_date
    from user_rows

),

final as (

    select
        owner_id,
        source_owner_id,
        full_name,
        email_hash,
        team,
        is_active,
        first_export_date,
        last_export_date,
        source_file,
        source_row
    from ranked
    where state_rank = 1

)

select * from final
