-- The rep's e-mail address is personal data too: only its salted hash is passed on.
with

source as (

    select * from {{ source('crm', 'users') }}

),

renamed as (

    select
        'crm:' || trim(owner_id) as owner_id,
        trim(owner_id) as source_owner_id,
        {{ collapse_spaces('full_name') }} as full_name,
        {{ pii_hash('email') }} as email_hash,
        nullif(trim(team), '') as team,
        coalesce(is_active, true) as is_active,
        {{ lineage_columns() }}

    from source

)

select * from renamed
