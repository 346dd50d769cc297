-- Every exported account row of every CRM source (crm accounts, Salesforce accounts, HubSpot companies)
-- in the columns of stg_crm__accounts.
{{ appended_union(
    ['stg_crm__accounts', 'stg_salesforce__accounts', 'stg_hubspot__companies'],
    [
        'account_id', 'source_account_id', 'account_name', 'kvk_number', 'vat_number', 'city', 'industry',
        'referred_by_account_id', 'created_at', 'updated_at',
        'source_file', 'source_content_hash', 'source_row', 'load_id', 'export_date',
    ],
) }}
