-- Every invoice line once across the overlapping monthly exports: one row per invoice_id and line_number,
-- the state of the latest export.
-- Incremental: only loads not merged before are read; each line they touch is decided again among its new
-- rows and its stored state, which gives a full rebuild's result in any load order.
{{
    config(
        materialized='incremental',
        unique_key='invoice_line_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ reset_processed_loads() }}",
        post_hook="{{ record_processed_loads(ref('int_invoice_line_records_unioned')) }}",
    )
}}

with

line_rows as (

    select * from {{ ref('int_invoice_line_records_unioned') }}
    {{ new_loads_only() }}

),

candidates as (

    select
        {{ surrogate_key(['invoice_id', 'line_number']) }} as invoice_line_id,
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
    from line_rows

    {% if is_incremental_from_loads() %}
    union all

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
    from {{ this }}
    where invoice_line_id in (
        select {{ surrogate_key(['invoice_id', 'line_number']) }} from line_rows
    )
    {% endif %}

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by invoice_line_id
            order by export_date desc, source_row desc, load_id desc
        ) as state_rank
    from candidates

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
