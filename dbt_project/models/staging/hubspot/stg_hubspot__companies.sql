-- HubSpot companies in the shape of stg_crm__accounts (HubSpot has no KvK or VAT property by default).
with

source as (

    select * from {{ source('hubspot', 'companies') }}

),

renamed as (

    select
        {{ source_key('hubspot', 'id') }} as account_id,
        trim(id) as source_account_id,
        {{ collapse_spaces('property_name') }} as account_name,
        {{ digits_only(extra_field('property_kvk_number')) }} as kvk_number,
        upper(replace(nullif(trim({{ extra_field('property_vat_number') }}), ''), ' ', '')) as vat_number,
        nullif(trim(property_city), '') as city,
        nullif(trim(property_industry), '') as industry,
        cast(null as {{ dbt.type_string() }}) as referred_by_account_id,
        property_createdate as created_at,
        _fivetran_synced as updated_at,
        property_createdate__raw as created_at__raw,
        _fivetran_synced__raw as updated_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
