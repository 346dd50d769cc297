-- HubSpot deals in the shape of stg_crm__deals. A deal merged away in HubSpot (listed in merged_deal, or
-- in the survivor's hs_merged_object_ids) gets merged_into_deal_id = its survivor, as of the latest export
-- that names it, so int_deal_merges_resolved collapses it into the surviving deal. The account is the
-- deal's associated company (the lowest id when several are associated).
with

source as not materialized (

    select * from {{ source('hubspot', 'deals') }}

),

merged_deal_rows as (

    select * from {{ source('hubspot', 'merged_deals') }}

),

deal_companies as (

    select * from {{ source('hubspot', 'deal_companies') }}

),

merges_listed as (

    select
        trim(merged_deal_id) as merged_deal_id,
        trim(deal_id) as surviving_deal_id,
        _export_date as export_date,
        _row_number as source_row
    from merged_deal_rows

    union all

    select
        trim(merged_deal_id) as merged_deal_id,
        trim(deal_id) as surviving_deal_id,
        export_date,
        source_row
    from (
        select
            {{ split_to_rows('property_hs_merged_object_ids', ';') }} as merged_deal_id,
            deal_id,
            _export_date as export_date,
            _row_number as source_row
        from source
        where property_hs_merged_object_ids is not null
    ) as merged_ids
    where nullif(trim(merged_deal_id), '') is not null

),

merges as (

    select
        merged_deal_id,
        surviving_deal_id,
        row_number() over (
            partition by merged_deal_id
            order by export_date desc, source_row desc
        ) as merge_rank
    from merges_listed

),

deal_accounts as (

    select
        trim(deal_id) as deal_id,
        min(trim(company_id)) as company_id
    from deal_companies
    group by trim(deal_id)

),

renamed as (

    select
        {{ source_key('hubspot', 'source.deal_id') }} as deal_id,
        'hubspot' as source_system,
        trim(source.deal_id) as source_deal_id,
        nullif(trim(source.property_dealname), '') as deal_name,
        {{ source_key('hubspot', 'deal_accounts.company_id') }} as account_id,
        {{ source_key('hubspot', 'coalesce(source.owner_id, source.property_hubspot_owner_id)') }} as owner_id,
        nullif(trim(coalesce(source.property_dealstage, source.deal_pipeline_stage_id)), '') as stage,
        source.property_amount as amount,
        upper(nullif(trim(source.property_deal_currency_code), '')) as currency,
        cast(source.property_closedate as date) as expected_close_date,
        source.property_createdate as created_at,
        source.property_hs_lastmodifieddate as updated_at,
        lower(nullif(trim({{ extra_field('property_hs_analytics_source', 'source') }}), '')) as lead_source,
        cast(null as {{ dbt.type_string() }}) as referrer_account_id,
        nullif(trim(source.property_closed_lost_reason), '') as lost_reason,
        cast(null as {{ dbt.type_string() }}) as quote_number,
        cast(null as {{ dbt.type_string() }}) as po_number,
        {{ source_key('hubspot', 'merges.surviving_deal_id') }} as merged_into_deal_id,
        coalesce(source.is_deleted, false) or coalesce(source._fivetran_deleted, false) as is_deleted,
        source.property_amount__raw as amount__raw,
        source.property_closedate__raw as expected_close_date__raw,
        source.property_createdate__raw as created_at__raw,
        source.property_hs_lastmodifieddate__raw as updated_at__raw,
        {{ lineage_columns('source') }}

    from source
    left join merges
        on merges.merged_deal_id = trim(source.deal_id)
        and merges.merge_rank = 1
        and merges.surviving_deal_id <> trim(source.deal_id)
    left join deal_accounts
        on deal_accounts.deal_id = trim(source.deal_id)

)

select * from renamed
