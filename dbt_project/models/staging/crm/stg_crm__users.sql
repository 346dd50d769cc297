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
        _source_file as source_file,
        _content_hash as source_content_hash,
        _row_number as source_row,
        _load_id as load_id,
        _export_date as export_date

    from source

)

select * from renamed
