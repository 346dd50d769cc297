-- Every invoice line once across the overlapping monthly exports: one row per invoice_id and line_number,
-- the state of the latest export.
-- Built whole in a run with a new load upstream only: see int_invoices_deduplicated.
{{ rebuilt_on_new_loads() }}

with

ranked as (

    select
        {{ surrogate_key(['invoice_id', 'line_number']) }} as invoice_line_id,
        line_rows.*,
        row_number() over (
            partition by invoice_id, line_number
            order by export_date desc, source_row desc, load_id desc
        ) as state_rank
    from {{ ref('int_invoice_line_records_unioned') }} as line_rows

),

final as (

    select
        invoice_line_id,
        invoice_id,
        line_number,
        description,
        quantity,
        unit_price,
        line_amount,
        vat_rate,
        export_date,
        source_file,
        source_row,
        load_id
    from ranked
    where state_rank = 1

)

select * from final
{{- unless_kept_as_built() }}
