{% macro booked_at(status, verbal_order_at, signed_at, first_invoiced_at, policy=none) -%}
    {#-
        When a deal counts as booked order intake, per the booking policy (var booking_policy):
          signature      the contract signature (won deals only)
          verbal_order   the verbal order, or the signature when no verbal order was recorded
          first_invoice  the first invoice
          earliest       the earliest of the three
        Lost deals are never booked. The one place the policy is interpreted.
    -#}
    {%- set policy = policy or var('booking_policy', 'signature') -%}
    {%- if policy == 'signature' -%}
        case when {{ status }} = 'won' then {{ signed_at }} end
    {%- elif policy == 'verbal_order' -%}
        case when {{ status }} <> 'lost' then coalesce({{ verbal_order_at }}, case when {{ status }} = 'won' then {{ signed_at }} end) end
    {%- elif policy == 'first_invoice' -%}
        case when {{ status }} <> 'lost' then {{ first_invoiced_at }} end
    {%- elif policy == 'earliest' -%}
        case when {{ status }} <> 'lost' then
            {{ least_not_null([verbal_order_at, "case when " ~ status ~ " = 'won' then " ~ signed_at ~ " end", first_invoiced_at]) }}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var booking_policy must be one of signature, verbal_order, first_invoice, earliest; got '" ~ policy ~ "'"
        ) }}
    {%- endif -%}
{%- endmacro %}


{% macro least_not_null(expressions) -%}
    {#- The smallest non-null value (NULL only when all are NULL), written so every engine agrees. -#}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(" ~ expression ~ ", " ~ (expressions | join(", ")) ~ ")") -%}
    {%- endfor -%}
    least({{ parts | join(", ") }})
{%- endmacro %}
