-- The lines of every document add up to its net amount (a warning: accounting's problem, not ours).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_invoices_deduplicated'}}}) }}

with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

lines as (

    select
        invoice_id,
        sum(line_amount) as line_total
    from {{ ref('int_invoice_lines_deduplicated') }}
    group by invoice_id

)

select
    invoices.invoice_id,
    invoices.net_amount,
    lines.line_total
from invoices
inner join lines
    on lines.invoice_id = invoices.invoice_id
where lines.line_total <> invoices.net_amount
