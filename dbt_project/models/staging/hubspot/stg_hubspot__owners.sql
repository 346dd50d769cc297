-- HubSpot owners in the shape of stg_crm__users; the e-mail address only as a salted hash.
with

source as (

    select * from {{ source('hubspot', 'owners') }}

),

renamed as (

    select
        {{ source_key('hubspot', 'owner_id') }} as owner_id,
        trim(owner_id) as source_owner_id,
        {{ collapse_spaces("concat_ws(' ', first_name, last_name)") }} as full_name,
        {{ pii_hash('email') }} as email_hash,
        cast(null as {{ dbt.type_string() }}) as team,
        coalesce(lower(trim(is_active)) in ('true', '1'), true) as is_active,
        {{ lineage_columns() }}

    from source

)

select * from renamed
