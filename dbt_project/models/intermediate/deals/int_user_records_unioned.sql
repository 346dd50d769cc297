-- Every exported user (sales rep) row of every CRM source in the columns of stg_crm__users.
{{ appended_union(
    ['stg_crm__users', 'stg_salesforce__users', 'stg_hubspot__owners'],
    [
        'owner_id', 'source_owner_id', 'full_name', 'email_hash', 'team', 'is_active',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
) }}
