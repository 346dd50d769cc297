-- QuickBooks invoices in the shape of stg_billing__invoices (macro quickbooks_document). The id is the
-- document's key: two invoices printed with one doc_number keep their own ids and stay two documents.
-- Deleted invoices are flagged is_deleted; int_invoice_records_unioned drops them.
{{ quickbooks_document('invoices', 'invoice') }}
