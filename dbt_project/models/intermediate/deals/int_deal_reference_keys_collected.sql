-- The keys an invoice reference can name a deal by: its CRM id, its quote number and its customer's PO
-- number, from every export (a key once exported keeps pointing at its deal), normalised to letters and
-- digits. Keys of merged-away duplicates point at the surviving deal; keys of deleted deals are dropped.
-- Incremental per deal: a deal's keys depend on the rows of the records that belong to it. A run collects
-- again the keys of the deals a new load or a merge can change (macro reference_key_deals_decided_again)
-- and replaces theirs.
{{ replaced_per_record(
    records_decided_again='reference_key_deals_decided_again',
    kept_lookups=['surviving_deals'],
) }}

with

deal_rows as not materialized (

    select * from {{ ref('int_deal_records_unioned') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}
    {{ only_records_decided_again('surviving_deal_id') }}

),

key_values as (

    select
        deal_id,
        'deal_id' as key_type,
        source_deal_id as key_value
    from deal_rows

    union all

    select
        deal_id,
        'quote_number' as key_type,
        quote_number as key_value
    from deal_rows

    union all

    select
        deal_id,
        'po_number' as key_type,
        po_number as key_value
    from deal_rows

),

normalized as (

    select
        deal_merges.surviving_deal_id as deal_id,
        key_values.key_type,
        key_values.key_value,
        {{ normalize_reference_key('key_values.key_value') }} as reference_key
    from key_values
    inner join deal_merges
        on deal_merges.deal_id = key_values.deal_id
    where key_values.key_value is not null
      and deal_merges.surviving_deal_id is not null

),

final as (

    select
        reference_key,
        deal_id,
        key_type,
        min(key_value) as key_value
    from normalized
    where {{ dbt.length('reference_key') }} >= {{ var('match_min_key_length', 5) }}
    group by
        reference_key,
        deal_id,
        key_type

)

select * from final
