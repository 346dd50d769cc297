{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{#- Every non-null value lies within [min_value, max_value] (or the open interval when not inclusive). -#}

select
    {{ column_name }} as value_out_of_range
from {{ model }}
where {{ column_name }} is not null
  and (
    1 = 2
    {%- if min_value is not none %}
    or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
    or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
    {%- endif %}
  )

{% endtest %}
