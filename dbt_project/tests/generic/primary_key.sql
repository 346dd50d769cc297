{% test primary_key(model, columns) %}
{#- A (composite) primary key in one query: none of its columns NULL, no two rows with the same values. -#}

select
    {{ columns | join(',\n    ') }},
    count(*) as row_count
from {{ model }}
group by
    {{ columns | join(',\n    ') }}
having count(*) > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
