-- Every exported deal row of every CRM source (generic crm, Salesforce, HubSpot) in the columns of
-- stg_crm__deals: what int_deals_deduplicated and int_deal_reference_keys_collected read.
-- Appended per load, but for HubSpot's rows, which replace their stored copies in every run:
-- stg_hubspot__deals gives the rows of every load the merges and companies of the latest export that names
-- them, so a later load changes earlier rows.
{{ appended_union(
    ['stg_crm__deals', 'stg_salesforce__opportunities', 'stg_hubspot__deals'],
    [
        'deal_id', 'source_system', 'source_deal_id', 'deal_name', 'account_id', 'owner_id', 'stage', 'amount',
        'currency', 'expected_close_date', 'created_at', 'updated_at', 'lead_source', 'referrer_account_id',
        'lost_reason', 'quote_number', 'po_number', 'merged_into_deal_id', 'is_deleted',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date', 'export_scope',
    ],
    reselected_models=['stg_hubspot__deals'],
) }}
