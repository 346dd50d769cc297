-- QuickBooks credit memos in the shape of stg_billing__invoices (macro quickbooks_document): invoice_type
-- credit_note, amounts negative as the generic billing export writes credit notes, ids
-- 'quickbooks:CM<Id>'. A credit memo names no invoice it corrects.
{{ quickbooks_document('credit_memos', 'credit_note', id_prefix='CM', sign=-1) }}
