"""Conventions of the dbt models' SQL that keep them within DuckDB's memory limit at 10M deals.

DuckDB materializes a CTE that a query reads more than once (computes it into a buffer first), and
`int_deal_reference_keys_collected` ran out of memory in that buffer at 10M deals. A CTE that only
names a model (`select * from {{ ref(...) }}`, perhaps filtered) costs only a second scan to read again, so
one that is read more than once is declared `as not materialized`.
"""

from __future__ import annotations

import re

from dealledger.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "dbt_project" / "models"
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
