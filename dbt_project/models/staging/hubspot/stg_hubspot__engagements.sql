-- HubSpot engagements in the shape of stg_crm__activities, with the deal and contact they are associated
-- with (the lowest id when several are).
with

source as (

    select * from {{ source('hubspot', 'engagements') }}

),

engagement_deals as (

    select
        trim(engagement_id) as engagement_id,
        min(trim(deal_id)) as deal_id
    from {{ source('hubspot', 'engagement_deals') }}
    group by trim(engagement_id)

),

engagement_contacts as (

    select
        trim(engagement_id) as engagement_id,
        min(trim(contact_id)) as contact_id
    from {{ source('hubspot', 'engagement_contacts') }}
    group by trim(engagement_id)

),

renamed as (

    select
        {{ source_key('hubspot', 'source.id') }} as activity_id,
        trim(source.id) as source_activity_id,
        {{ source_key('hubspot', 'engagement_deals.deal_id') }} as deal_id,
        {{ source_key('hubspot', 'engagement_contacts.contact_id') }} as contact_id,
        {{ source_key('hubspot', 'source.owner_id') }} as owner_id,
        lower(nullif(trim(source.type), '')) as activity_type,
        coalesce(source.timestamp, source.created_at) as activity_at,
        cast(null as integer) as duration_minutes,
        {{ lineage_columns('source') }}

    from source
    left join engagement_deals
        on engagement_deals.engagement_id = trim(source.id)
    left join engagement_contacts
        on engagement_contacts.engagement_id = trim(source.id)

)

select * from renamed
