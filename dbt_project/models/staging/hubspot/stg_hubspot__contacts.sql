-- HubSpot contacts in the shape of stg_crm__contacts. PII: e-mail and phone leave staging only as
-- salted hashes; names are not passed on.
with

source as (

    select * from {{ source('hubspot', 'contacts') }}

),

renamed as (

    select
        {{ source_key('hubspot', 'id') }} as contact_id,
        trim(id) as source_contact_id,
        {{ source_key('hubspot', 'property_associatedcompanyid') }} as account_id,
        {{ pii_hash("coalesce(nullif(trim(property_email), ''), property_email_1)") }} as email_hash,
        {{ pii_hash('property_phone') }} as phone_hash,
        lower(nullif(trim(property_jobtitle), '')) as contact_role,
        _fivetran_synced as updated_at,
        _fivetran_synced__raw as updated_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
