-- Which real deal every deal record belongs to. A record merged into another follows the merge chain
-- (A -> B -> C: A and B belong to C); a deleted record, or one whose chain ends in a deleted record,
-- belongs to no deal. A chain that points at a record never exported stops at the last known record.
-- Deal exports are full exports: a record missing from the newest export of its source system (its
-- last_export_date is older) was deleted there without a trace, and is marked deleted too, with the reason.
-- A merged-away record that disappears (HubSpot drops merged deals) still belongs to its survivor.
with recursive

deal_records as (

    select
        deal_id,
        source_system,
        merged_into_deal_id,
        is_deleted,
        last_export_date,
        coalesce(
            last_export_date < max(last_export_date) over (partition by source_system),
            false
        ) as is_missing_from_latest_export
    from {{ ref('int_deals_deduplicated') }}

),

merge_chain as (

    select
        deal_id,
        deal_id as chain_deal_id,
        0 as merge_depth
    from deal_records

    union all

    select
        merge_chain.deal_id,
        merge_target.deal_id as chain_deal_id,
        merge_chain.merge_depth + 1 as merge_depth
    from merge_chain
    inner join deal_records as chain_record
        on chain_record.deal_id = merge_chain.chain_deal_id
    inner join deal_records as merge_target
        on merge_target.deal_id = chain_record.merged_into_deal_id
    where chain_record.merged_into_deal_id <> chain_record.deal_id
      and merge_chain.merge_depth < 20

),

chain_ends as (

    select
        deal_id,
        chain_deal_id,
        merge_depth,
        row_number() over (partition by deal_id order by merge_depth desc) as depth_rank
    from merge_chain

),

resolved as (

    select
        deal_records.deal_id,
        chain_ends.chain_deal_id,
        chain_ends.merge_depth,
        deal_records.is_deleted,
        deal_records.is_missing_from_latest_export,
        deal_records.last_export_date,
        case
            when deal_records.is_deleted then 'deleted_in_source'
            when deal_records.is_missing_from_latest_export and chain_ends.merge_depth = 0
                then 'missing_from_latest_export'
            when survivor.is_deleted or survivor.is_missing_from_latest_export then 'merged_into_deleted_deal'
        end as deletion_reason
    from deal_records
    inner join chain_ends
        on chain_ends.deal_id = deal_records.deal_id
        and chain_ends.depth_rank = 1
    inner join deal_records as survivor
        on survivor.deal_id = chain_ends.chain_deal_id

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
