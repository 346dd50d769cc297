-- PII: e-mail and phone leave staging only as salted hashes; names are not passed on at all.
with

source as (

    select * from {{ source('crm', 'contacts') }}

),

renamed as (

    select
        'crm:' || trim(contact_id) as contact_id,
        trim(contact_id) as source_contact_id,
        'crm:' || nullif(trim(account_id), '') as account_id,
        {{ pii_hash('email') }} as email_hash,
        {{ pii_hash('phone') }} as phone_hash,
        lower(nullif(trim(role), '')) as contact_role,
        cast(updated_at as timestamp) as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
