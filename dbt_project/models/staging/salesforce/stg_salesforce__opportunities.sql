-- Salesforce opportunities in the shape of stg_crm__deals. Soft-deleted records (IsDeleted, or deleted in
-- the Fivetran sync) stay here with is_deleted = true: int_deal_merges_resolved keeps them out of fct_deals.
-- Ids of the CLI data tree are references ('@AccountRef1'): the '@' is dropped so they meet the record ids.
with

source as (

    select * from {{ source('salesforce', 'opportunities') }}

),

renamed as (

    select
        {{ source_key('salesforce', 'id') }} as deal_id,
        'salesforce' as source_system,
        trim(id) as source_deal_id,
        nullif(trim(name), '') as deal_name,
        description,
        {{ source_key('salesforce', "ltrim(account_id, '@')") }} as account_id,
        {{ source_key('salesforce', "ltrim(owner_id, '@')") }} as owner_id,
        nullif(trim(stage_name), '') as stage,
        amount,
        upper(nullif(trim(currency_iso_code), '')) as currency,
        close_date as expected_close_date,
        created_date as created_at,
        coalesce(last_modified_date, system_modstamp) as updated_at,
        lower(nullif(trim(lead_source), '')) as lead_source,
        {{ source_key('salesforce', "ltrim(" ~ extra_field('referral_account_c') ~ ", '@')") }} as referrer_account_id,
        nullif(trim({{ extra_field('loss_reason_c') }}), '') as lost_reason,
        cast(null as {{ dbt.type_string() }}) as quote_number,
        cast(null as {{ dbt.type_string() }}) as po_number,
        cast(null as {{ dbt.type_string() }}) as merged_into_deal_id,
        coalesce(is_deleted, false) or coalesce(_fivetran_deleted, false) as is_deleted,
        amount__raw,
        close_date__raw as expected_close_date__raw,
        created_date__raw as created_at__raw,
        coalesce(last_modified_date__raw, system_modstamp__raw) as updated_at__raw,
        {{ lineage_columns() }}

    from source

)

select * from renamed
