-- Which real deal every deal record belongs to. A record merged into another follows the merge chain
-- (A -> B -> C: A and B belong to C); a deleted record, or one whose chain ends in a deleted record,
-- belongs to no deal. A chain that points at a record never exported stops at the last known record.
-- A record missing from the newest full export of its source system (its last_export_date is older: no
-- export of that day or later showed it) was deleted there without a trace, and is marked deleted too, with
-- the reason. A changes export names only the records that changed, so one missing from it is unchanged.
-- A merged-away record that disappears (HubSpot drops merged deals) still belongs to its survivor.
-- Memory at 10M deals: only merged records walk the chain (the recursion holds its rows in memory; for
-- every record it ran out of the memory limit), the others end where they start; the CTEs read more than
-- once are not materialized (DuckDB would hold those rows in memory too), and the newest export per
-- source is a group-by, not a window over every record.
with recursive

latest_full_exports as (

    select
        source_system,
        max(export_date) as latest_full_export_date
    from {{ ref('int_deal_records_unioned') }}
    where export_scope = 'full'
    group by source_system

),

deal_records as not materialized (

    select
        deals.deal_id,
        deals.source_system,
        deals.merged_into_deal_id,
        deals.is_deleted,
        deals.last_export_date,
        coalesce(deals.last_export_date < latest_full_exports.latest_full_export_date, false)
            as is_missing_from_latest_export
    from {{ ref('int_deals_deduplicated') }} as deals
    left join latest_full_exports
        on latest_full_exports.source_system = deals.source_system

),

merges as not materialized (

    select
        merged.deal_id,
        merged.merged_into_deal_id
    from deal_records as merged
    inner join deal_records as merge_target
        on merge_target.deal_id = merged.merged_into_deal_id
    where merged.merged_into_deal_id <> merged.deal_id

),

merge_chain as (

    select
        deal_id,
        merged_into_deal_id as chain_deal_id,
        1 as merge_depth
    from merges

    union all

    select
        merge_chain.deal_id,
        merges.merged_into_deal_id as chain_deal_id,
        merge_chain.merge_depth + 1 as merge_depth
    from merge_chain
    inner join merges
        on merges.deal_id = merge_chain.chain_deal_id
    where merge_chain.merge_depth < 20

),

chain_ends as (

    select
        deal_id,
        arg_max(chain_deal_id, merge_depth) as chain_deal_id,
        max(merge_depth) as merge_depth
    from merge_chain
    group by deal_id

),

resolved as (

    select
        deal_records.deal_id,
        coalesce(chain_ends.chain_deal_id, deal_records.deal_id) as chain_deal_id,
        coalesce(chain_ends.merge_depth, 0) as merge_depth,
        deal_records.is_deleted,
        deal_records.is_missing_from_latest_export,
        deal_records.last_export_date,
        case
            when deal_records.is_deleted then 'deleted_in_source'
            when deal_records.is_missing_from_latest_export and chain_ends.deal_id is null
                then 'missing_from_latest_export'
            when survivor.is_deleted or survivor.is_missing_from_latest_export then 'merged_into_deleted_deal'
        end as deletion_reason
    from deal_records
    left join chain_ends
        on chain_ends.deal_id = deal_records.deal_id
    inner join deal_records as survivor
        on survivor.deal_id = coalesce(chain_ends.chain_deal_id, deal_records.deal_id)

),

final as (

    select
        deal_id,
        case when deletion_reason is null then chain_deal_id end as surviving_deal_id,
        merge_depth,
        merge_depth > 0 as is_merged,
        is_deleted,
        is_missing_from_latest_export,
        deletion_reason,
        last_export_date,
        deletion_reason is null and chain_deal_id = deal_id as is_real_deal
    from resolved

)

select * from final
