-- The dimensions pipeline metrics are broken down by, one row per deal version and dimension: 'all'
-- (one value, the total), 'owner' (the rep), 'team' (the rep's team in the latest users export),
-- 'lead_source' and 'stage' (the milestone). A missing value is '(unknown)', so every version counts
-- once per dimension and the values of a dimension add up to 'all'.
-- Incremental per deal record, as int_deal_states_historized: the rows of the records it decided again
-- are replaced. A rep moving to another team changes the team of every version of their deals: then
-- every row is built again (the users' team is fingerprinted).
{{ replaced_per_record(fingerprinted_lookups={'int_users_deduplicated': ['owner_id', 'team']}) }}
-- depends_on: {{ ref('int_deal_records_unioned') }}

with

deal_states as (

    select * from {{ ref('int_deal_states_historized') }}
    {{ only_records_decided_again() }}

),

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

with_team as (

    select
        deal_states.deal_version_id,
        deal_states.deal_id,
        deal_states.owner_id,
        users.team,
        deal_states.lead_source,
        deal_states.milestone
    from deal_states
    left join users
        on users.owner_id = deal_states.owner_id

),

unpivoted as (

    {%- for dimension_name, expression in [
        ('all', "'all'"),
        ('owner', 'owner_id'),
        ('team', 'team'),
        ('lead_source', 'lead_source'),
        ('stage', 'milestone'),
    ] %}
    select
        deal_version_id,
        deal_id,
        '{{ dimension_name }}' as dimension_name,
        coalesce(cast({{ expression }} as {{ dbt.type_string() }}), '(unknown)') as dimension_value
    from with_team
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select * from unpivoted
