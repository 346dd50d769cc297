-- Salesforce contacts in the shape of stg_crm__contacts. PII: e-mail and phone (the mobile number when
-- there is no phone) leave staging only as salted hashes; names are not passed on.
with

source as (

    select * from {{ source('salesforce', 'contacts') }}

),

renamed as (

    select
        {{ source_key('salesforce', 'id') }} as contact_id,
        trim(id) as source_contact_id,
        {{ source_key('salesforce', "ltrim(account_id, '@')") }} as account_id,
        {{ pii_hash('email') }} as email_hash,
        {{ pii_hash("coalesce(nullif(trim(phone), ''), mobile_phone)") }} as phone_hash,
        lower(nullif(trim(title), '')) as contact_role,
        coalesce(last_modified_date, system_modstamp) as updated_at,
        coalesce(last_modified_date__raw, system_modstamp__raw) as updated_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
