{% test expression_is_true(model, expression) %}
{#- Every row satisfies the SQL expression; the rows that do not are the failures. -#}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
