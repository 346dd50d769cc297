-- Every exported activity row of every CRM source (crm activities, Salesforce tasks and events, HubSpot
-- engagements) in the columns of stg_crm__activities.
-- A full table, not appended per load: stg_hubspot__engagements gives the rows of every load the deal and
-- contact associations of every load, so a later load changes earlier rows.
{{ union_conformed(
    ['stg_crm__activities', 'stg_salesforce__activities', 'stg_hubspot__engagements'],
    [
        'activity_id', 'source_activity_id', 'deal_id', 'contact_id', 'owner_id', 'activity_type', 'activity_at',
        'duration_minutes',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
) }}
