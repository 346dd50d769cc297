-- Every exported contact row of every CRM source in the columns of stg_crm__contacts (PII only hashed).
{{ appended_union(
    ['stg_crm__contacts', 'stg_salesforce__contacts', 'stg_hubspot__contacts'],
    [
        'contact_id', 'source_contact_id', 'account_id', 'email_hash', 'phone_hash', 'contact_role', 'updated_at',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
) }}
