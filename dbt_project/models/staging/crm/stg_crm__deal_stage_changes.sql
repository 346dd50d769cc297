with

source as (

    select * from {{ source('crm', 'deal_stage_history') }}

),

renamed as (

    select
        'crm:' || trim(deal_id) as deal_id,
        trim(deal_id) as source_deal_id,
        nullif(trim(stage), '') as stage,
        cast(amount as decimal(18, 2)) as amount,
        cast(changed_at as timestamp) as changed_at,
        _source_file as source_file,
        _content_hash as source_content_hash,
        _row_number as source_row,
        _load_id as load_id,
        _export_date as export_date

    from source

)

select * from renamed
