-- Every exported activity row of every CRM source (crm activities, Salesforce tasks and events, HubSpot
-- engagements) in the columns of stg_crm__activities.
-- Appended per load, but for HubSpot's rows, which replace their stored copies in every run:
-- stg_hubspot__engagements gives the rows of every load the deal and contact associations of every load,
-- so a later load changes earlier rows.
{{ appended_union(
    ['stg_crm__activities', 'stg_salesforce__activities', 'stg_hubspot__engagements'],
    [
        'activity_id', 'source_activity_id', 'deal_id', 'contact_id', 'owner_id', 'activity_type', 'activity_at',
        'duration_minutes',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
    reselected_models=['stg_hubspot__engagements'],
) }}
