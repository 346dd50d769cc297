-- Every stage change once, although each daily export repeats the whole history: one row per deal record,
-- stage and change time, with the lineage of the first export it appeared in (the amount of the latest;
-- collapsed across the exports, incrementally, in int_deal_stage_changes_collapsed).
-- Stage names become milestones through seeds/stage_milestones.csv; a change back from a closed
-- milestone (contract_signed, lost) to an open one is marked as a reopening.
-- Incremental per deal record: a record's rows depend on its own stage changes and the deal it belongs to.
-- A run sequences again the records with a stage change in a new load and those that changed deals
-- (macro stage_change_records_decided_again), and replaces their rows; an edited stage_milestones
-- sequences every record again.
{{ replaced_per_record(
    records_decided_again='stage_change_records_decided_again',
    record_column='record_deal_id',
    inputs=['int_deal_stage_changes_unioned'],
    kept_lookups=['surviving_deals'],
) }}
-- depends_on: {{ ref('int_deal_stage_changes_unioned') }}

with

stage_changes as (

    select * from {{ ref('int_deal_stage_changes_collapsed') }}
    {{ only_records_decided_again() }}

),

stage_milestones as (

    select * from {{ ref('stage_milestones') }}

),

deal_merges as (

    select * from {{ ref('int_deal_merges_resolved') }}

),

changes as (

    select
        deal_id as record_deal_id,
        stage,
        amount,
        changed_at,
        first_source_file as source_file,
        first_source_row as source_row
    from stage_changes

),

with_milestones as (

    select
        changes.*,
        stage_milestones.milestone,
        stage_milestones.stage_order,
        stage_milestones.milestone in ('contract_signed', 'lost') as is_closed_stage
    from changes
    left join stage_milestones
        -- each CRM's own stage names: the source system is the prefix of the mart id ('salesforce:006...')
        on stage_milestones.source_system = split_part(changes.record_deal_id, ':', 1)
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
