-- Every stage change once, although each daily export repeats the whole history: one row per deal record,
-- stage and change time, with the lineage of the first export it appeared in (the amount of the latest).
-- Stage names become milestones through seeds/stage_milestones.csv; a change back from a closed
-- milestone (contract_signed, lost) to an open one is marked as a reopening.
with

stage_change_rows as (

    select * from {{ ref('int_deal_stage_changes_unioned') }}

),

stage_milestones as (

    select * from {{ ref('stage_milestones') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}

),

ranked as (

    select
        stage_change_rows.*,
        row_number() over (
            partition by deal_id, stage, changed_at
            order by export_date, source_row, load_id
        ) as first_seen_rank,
        row_number() over (
            partition by deal_id, stage, changed_at
            order by export_date desc, source_row desc, load_id desc
        ) as latest_rank

    from stage_change_rows

),

first_seen as (

    select * from ranked where first_seen_rank = 1

),

latest as (

    select * from ranked where latest_rank = 1

),

changes as (

    select
        first_seen.deal_id as record_deal_id,
        first_seen.stage,
        latest.amount,
        first_seen.changed_at,
        first_seen.source_file,
        first_seen.source_row
    from first_seen
    inner join latest
        on latest.deal_id = first_seen.deal_id
        and latest.stage = first_seen.stage
        and latest.changed_at = first_seen.changed_at

),

with_milestones as (

    select
        changes.*,
        stage_milestones.milestone,
        stage_milestones.stage_order,
        stage_milestones.milestone in ('contract_signed', 'lost') as is_closed_stage
    from changes
    left join stage_milestones
        on stage_milestones.source_system = 'crm'
        and lower(stage_milestones.stage_name) = lower(changes.stage)

),

sequenced as (

    select
        with_milestones.*,
        lag(is_closed_stage) over (
            partition by record_deal_id
            order by changed_at, stage_order, source_row
        ) as previous_is_closed_stage,
        row_number() over (
            partition by record_deal_id
            order by changed_at, stage_order, source_row
        ) as change_number
    from with_milestones

),

final as (

    select
        {{ surrogate_key(['sequenced.record_deal_id', 'sequenced.stage', 'sequenced.changed_at']) }} as stage_change_id,
        deal_merges.surviving_deal_id as deal_id,
        sequenced.record_deal_id,
        sequenced.change_number,
        sequenced.stage,
        sequenced.milestone,
        sequenced.stage_order,
        sequenced.is_closed_stage,
        coalesce(sequenced.previous_is_closed_stage and not sequenced.is_closed_stage, false) as is_reopening,
        sequenced.amount,
        sequenced.changed_at,
        sequenced.source_file,
        sequenced.source_row
    from sequenced
    inner join deal_merges
        on deal_merges.deal_id = sequenced.record_deal_id
    where deal_merges.surviving_deal_id is not null

)

select * from final
