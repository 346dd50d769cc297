-- Which real deal every CRM deal record belongs to. A record merged into another follows the merge chain
-- (A -> B -> C: A and B belong to C); a deleted record, or one whose chain ends in a deleted record,
-- belongs to no deal. A chain that points at a record never exported stops at the last known record.
with recursive

deal_records as (

    select
        deal_id,
        merged_into_deal_id,
        is_deleted
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
        case
            when deal_records.is_deleted or survivor.is_deleted then null
            else chain_ends.chain_deal_id
        end as surviving_deal_id,
        chain_ends.merge_depth,
        chain_ends.merge_depth > 0 as is_merged,
        deal_records.is_deleted
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
        surviving_deal_id,
        merge_depth,
        is_merged,
        is_deleted,
        surviving_deal_id is not null and surviving_deal_id = deal_id as is_real_deal
    from resolved

)

select * from final
