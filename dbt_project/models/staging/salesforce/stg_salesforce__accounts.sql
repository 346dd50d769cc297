-- Salesforce accounts in the shape of stg_crm__accounts. Salesforce has no KvK or VAT field; an org that
-- keeps them in custom fields (KvK_Number__c, VAT_Number__c) has them taken from _extra.
with

source as (

    select * from {{ source('salesforce', 'accounts') }}

),

renamed as (

    select
        {{ source_key('salesforce', 'id') }} as account_id,
        trim(id) as source_account_id,
        {{ collapse_spaces('name') }} as account_name,
        {{ digits_only(extra_field('kvk_number_c')) }} as kvk_number,
        upper(replace(nullif(trim({{ extra_field('vat_number_c') }}), ''), ' ', '')) as vat_number,
        nullif(trim(billing_city), '') as city,
        nullif(trim(industry), '') as industry,
        {{ source_key('salesforce', "ltrim(" ~ extra_field('referral_account_c') ~ ", '@')") }} as referred_by_account_id,
        created_date as created_at,
        coalesce(last_modified_date, system_modstamp) as updated_at,
        created_date__raw as created_at__raw,
        coalesce(last_modified_date__raw, system_modstamp__raw) as updated_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
