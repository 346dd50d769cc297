-- Every exported stage change of every CRM source in the columns of stg_crm__deal_stage_changes.
{{ appended_union(
    [
        'stg_crm__deal_stage_changes',
        'stg_salesforce__opportunity_history',
        'stg_salesforce__opportunity_versions',
        'stg_hubspot__deal_stage_changes',
    ],
    [
        'deal_id', 'source_deal_id', 'stage', 'amount', 'changed_at',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
) }}
