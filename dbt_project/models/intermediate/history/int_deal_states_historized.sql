-- The state of every CRM deal record as it stood on every day, as a slowly changing dimension (type 2)
-- built from the daily full exports: a version starts with the first export that shows a new state and
-- ends (valid_to, exclusive) with the first later export that shows another one. An export is the
-- picture at the end of its day, so the state "as of day D" is the version with
-- valid_from <= D < coalesce(valid_to, infinity). A record missing from a later full export of its CRM
-- gets an 'absent' version; one missing from a changes export (only the records changed since the export
-- before) is unchanged. Merged-away and deleted records keep versions that are never pipeline.
-- Only what the exports showed is used, never the current time: the history up to D is the same whether
-- it is rebuilt on D or later.
-- Incremental per record: a record's versions depend on its own rows and its CRM's export days alone, so a
-- run decides again only the records the new loads can change (macro deal_records_decided_again) from all
-- their rows, and replaces their versions. An edited stage_milestones or fx_rates builds every record again.
{{ merged_from_new_loads('deal_id', ['int_deal_records_unioned']) }}

with

all_deal_rows as not materialized (

    select * from {{ ref('int_deal_records_unioned') }}

),

deal_rows as not materialized (

    select * from all_deal_rows
    {{ only_deal_records_decided_again() }}

),

stage_milestones as (

    select * from {{ ref('stage_milestones') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

export_dates as (

    -- A day with a full export of the source shows every record; a day with only changes exports, those
    -- that changed.
    select
        source_system,
        export_date,
        bool_or(export_scope = 'full') as is_full_export
    from all_deal_rows
    group by
        source_system,
        export_date

),

rows_ranked as (

    -- An export that holds a record twice: its later-modified row counts.
    select
        deal_rows.*,
        row_number() over (
            partition by deal_id, export_date
            order by updated_at desc nulls last, source_row desc, load_id desc
        ) as row_rank
    from deal_rows

),

record_first_exports as (

    select
        deal_id,
        source_system,
        min(export_date) as first_export_date
    from deal_rows
    group by
        deal_id,
        source_system

),

observations as (

    -- Every full export of the record's CRM from the record's first appearance on, whether it holds the
    -- record or not, and every changes export that holds it.
    select
        record_first_exports.deal_id,
        record_first_exports.source_system,
        export_dates.export_date,
        rows_ranked.deal_id is not null as is_present,
        rows_ranked.account_id,
        rows_ranked.owner_id,
        rows_ranked.stage,
        rows_ranked.amount,
        rows_ranked.currency,
        rows_ranked.expected_close_date,
        rows_ranked.created_at,
        rows_ranked.updated_at,
        rows_ranked.lead_source,
        rows_ranked.merged_into_deal_id,
        coalesce(rows_ranked.is_deleted, false) as is_deleted,
        rows_ranked.source_file,
        rows_ranked.source_row
    from record_first_exports
    inner join export_dates
        on export_dates.source_system = record_first_exports.source_system
        and export_dates.export_date >= record_first_exports.first_export_date
    left join rows_ranked
        on rows_ranked.deal_id = record_first_exports.deal_id
        and rows_ranked.export_date = export_dates.export_date
        and rows_ranked.row_rank = 1
    where export_dates.is_full_export or rows_ranked.deal_id is not null

),

hashed as (

    select
        observations.*,
        {{ surrogate_key([
            'is_present', 'account_id', 'owner_id', 'stage', 'amount', 'currency', 'expected_close_date',
            'created_at', 'lead_source', 'merged_into_deal_id', 'is_deleted',
        ]) }} as state_hash
    from observations

),

change_flagged as (

    select
        hashed.*,
        case
            when lag(state_hash) over (partition by deal_id order by export_date) = state_hash then 0
            else 1
        end as is_new_state
    from hashed

),

numbered as (

    select
        change_flagged.*,
        sum(is_new_state) over (
            partition by deal_id
            order by export_date
            rows between unbounded preceding and current row
        ) as version_number
    from change_flagged

),

versions as (

    -- The first export of each version carries its state (the later ones repeat it).
    select
        numbered.*,
        lead(export_date) over (partition by deal_id order by export_date) as valid_to
    from numbered
    where is_new_state = 1

),

with_stage as (

    select
        versions.*,
        stage_milestones.milestone,
        stage_milestones.stage_probability,
        case
            when not versions.is_present then 'absent'
            when versions.is_deleted then 'deleted'
            when versions.merged_into_deal_id is not null then 'merged'
            when stage_milestones.milestone is null then 'unmapped'
            when stage_milestones.milestone = 'contract_signed' then 'won'
            when stage_milestones.milestone = 'lost' then 'lost'
            else 'open'
        end as record_state
    from versions
    left join stage_milestones
        on stage_milestones.source_system = versions.source_system
        and lower(stage_milestones.stage_name) = lower(versions.stage)

),

final as (

    select
        {{ surrogate_key(['with_stage.deal_id', 'with_stage.export_date']) }} as deal_version_id,
        with_stage.deal_id,
        with_stage.source_system,
        cast(with_stage.version_number as integer) as version_number,
        with_stage.export_date as valid_from,
        with_stage.valid_to,
        with_stage.valid_to is null as is_current,
        with_stage.record_state,
        with_stage.record_state = 'open' as is_pipeline,
        with_stage.is_present,
        with_stage.is_deleted,
        with_stage.merged_into_deal_id,
        with_stage.account_id,
        with_stage.owner_id,
        with_stage.lead_source,
        with_stage.stage,
        with_stage.milestone,
        with_stage.stage_probability,
        with_stage.amount,
        with_stage.currency,
        -- The rate of the creation month, as fct_deals uses for deals that are not won.
        {{ to_reporting_currency('with_stage.amount', 'fx_rates.eur_per_unit') }} as amount_eur,
        with_stage.expected_close_date,
        with_stage.created_at,
        -- The CRM's last-modified time in the version's first export (not part of the state).
        with_stage.updated_at,
        with_stage.source_file,
        with_stage.source_row
    from with_stage
    left join fx_rates
        on fx_rates.currency = with_stage.currency
        and fx_rates.rate_month = {{ rate_month('with_stage.created_at') }}

)

select * from final
