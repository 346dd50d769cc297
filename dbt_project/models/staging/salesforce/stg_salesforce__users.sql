-- Salesforce users (opportunity and activity owners) in the shape of stg_crm__users; the e-mail address
-- only as a salted hash. The team is the user's department.
with

source as (

    select * from {{ source('salesforce', 'users') }}

),

renamed as (

    select
        {{ source_key('salesforce', 'id') }} as owner_id,
        trim(id) as source_owner_id,
        {{ collapse_spaces("coalesce(nullif(trim(name), ''), concat_ws(' ', first_name, last_name))") }} as full_name,
        {{ pii_hash('email') }} as email_hash,
        nullif(trim(department), '') as team,
        coalesce(is_active, true) as is_active,
        {{ lineage_columns() }}

    from source

)

select * from renamed
