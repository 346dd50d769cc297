"""Conventions of the dbt models' SQL that keep them within DuckDB's memory limit at 10M deals.

DuckDB materializes a CTE that a query reads more than once (computes it into a buffer first), and
`int_deal_reference_keys_collected` ran out of memory in that buffer at 10M deals. A CTE that only
names a model (`select * from {{ ref(...) }}`, perhaps filtered) costs only a second scan to read again, so
one that is read more than once is declared `as not materialized`.

Holistic aggregates (percentile_cont, quantile, median, mode) keep every value of a group in their state,
outside DuckDB's memory limit: `fct_sales_cycles` took 3.1 GB at a 2 GB limit at 10M deals. Its
percentiles are read off counts per cycle length instead (macro `interpolated_percentile`).
"""

from __future__ import annotations

import re

import duckdb
import jinja2
import pytest

from dealledger.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "dbt_project" / "models"
MACROS_DIR = REPO_ROOT / "dbt_project" / "macros"
HOLISTIC_AGGREGATE = re.compile(r"\b(percentile_cont|percentile_disc|quantile\w*|median|mode)\s*\(", re.IGNORECASE)
CTE_START = re.compile(r"^(\w+) as (not materialized )?\(", re.MULTILINE)
ONLY_NAMES_A_RELATION = re.compile(
    r"select \* from \{\{ (ref|source)\([^)]*\) \}\}( where [^()]*| \{\{ new_loads_only\(.*\) \}\})?"
)


def materialized_plain_ctes(sql: str) -> list[str]:
    """The CTEs of `sql` that only name a relation, are read more than once and are not declared not
    materialized."""
    sql = re.sub(r"--.*", "", sql)
    found = []
    for cte in CTE_START.finditer(sql):
        name, declared_not_materialized = cte.groups()
        after = sql[cte.end() :]
        body = " ".join(after[: after.find("\n)")].split())
        reads = len(re.findall(rf"\b(from|join)\s+{name}\b", after))
        if reads > 1 and not declared_not_materialized and ONLY_NAMES_A_RELATION.fullmatch(body):
            found.append(name)
    return found


def test_the_check_finds_a_plain_cte_read_twice():
    sql = "with\n\ndeals as (\n\n    select * from {{ ref('fct_deals') }}\n\n)\n\nselect * from deals join deals"
    assert materialized_plain_ctes(sql) == ["deals"]
    assert materialized_plain_ctes(sql.replace("deals as (", "deals as not materialized (")) == []
    assert materialized_plain_ctes(sql.replace(" join deals", "")) == []


def test_no_model_materializes_a_cte_that_only_names_a_relation():
    offenders = {
        str(path.relative_to(MODELS_DIR)): ctes
        for path in sorted(MODELS_DIR.rglob("*.sql"))
        if (ctes := materialized_plain_ctes(path.read_text()))
    }
    assert offenders == {}


def test_no_model_uses_a_holistic_aggregate():
    offenders = [
        str(path.relative_to(MODELS_DIR))
        for path in sorted(MODELS_DIR.rglob("*.sql"))
        if HOLISTIC_AGGREGATE.search(re.sub(r"--.*", "", path.read_text()))
    ]
    assert offenders == []


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.8, 0.9])
def test_percentiles_from_counts_per_value_equal_percentile_cont_to_the_last_bit(fraction: float):
    macros = jinja2.Environment().from_string((MACROS_DIR / "percentiles.sql").read_text()).module
    interpolated = macros.interpolated_percentile("below", "above", "position")
    with duckdb.connect() as con:
        # 3,000 groups of many integers (ties, gaps) and 2,000 of a single one, in a fixed pseudo-random order.
        con.execute(
            "create table v as select hash(i) % 3000 as g, (hash(i * 7) % 400)::int as x from range(200000) t(i) "
            "union all select 3000 + i, (hash(i) % 50)::int from range(2000) t(i)"
        )
        differing, groups = con.execute(
            f"""
            with counts as (select g, x, count(*) as c from v group by g, x),
            running as (
                select *, sum(c) over (partition by g order by x rows between unbounded preceding and current row)
                    as through, sum(c) over (partition by g) as n
                from counts
            ),
            positions as (
                select g, any_value((n - 1) * {fraction}::double) as position,
                    min(x) filter (where through > floor((n - 1) * {fraction}::double)) as below,
                    min(x) filter (where through > ceil((n - 1) * {fraction}::double)) as above
                from running group by g
            ),
            exact as (select g, percentile_cont({fraction}) within group (order by x) as value from v group by g)
            select count(*) filter (where {interpolated} is distinct from exact.value), count(*)
            from positions join exact using (g)
            """
        ).fetchone()
    assert (differing, groups) == (0, 5000)
