"""What a failed run tells a sales-ops reader: which check failed, on which table, what it means, what to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import AssetCheckEvaluation, AssetCheckSeverity, ExecuteInProcessResult

FIX_AT_SOURCE = (
    "correct the records in the CRM or billing system, export again into the inbox and run "
    "`dealledger run`; if the rule itself is wrong, ask the data engineer"
)

# Check name prefix -> (what it means, what to do). The first matching prefix wins.
EXPLANATIONS: list[tuple[str, str, str]] = [
    (
        "rows_accounted_for",
        "rows read from an export do not add up to rows loaded plus rows rejected: the load lost rows",
        "this is a pipeline fault, not bad data: send this message to the data engineer",
    ),
    (
        "reject_rate_within_threshold",
        "an export has more unreadable rows than allowed (DEALLEDGER_MAX_REJECT_RATE); every bad line "
        "is listed in raw_meta.rejects (`dealledger sql`)",
        "have the export fixed where it is made, drop the corrected file into the inbox and run `dealledger run` again",
    ),
    (
        "great_expectations_",
        "the table breaks a rule of its quality suite (expectations/<table>.json)",
        FIX_AT_SOURCE,
    ),
    ("unique_", "a value that must be unique occurs more than once (a record would be counted twice)", FIX_AT_SOURCE),
    ("primary_key_", "the table's key is empty or occurs twice (a record would be counted twice)", FIX_AT_SOURCE),
    ("not_null_", "a value that every row needs is empty", FIX_AT_SOURCE),
    ("accepted_values_", "a column holds a value outside its allowed list (e.g. an unknown stage)", FIX_AT_SOURCE),
    ("relationships_", "rows refer to a record that does not exist (e.g. a deal of a missing account)", FIX_AT_SOURCE),
]
DEFAULT_EXPLANATION = ("a dbt test on the table failed", FIX_AT_SOURCE)


@dataclass(frozen=True)
class Problem:
    table: str
    check: str
    what_failed: str
    meaning: str
    action: str


def explain(evaluation: AssetCheckEvaluation) -> Problem:
    name = evaluation.check_name
    meaning, action = next(
        ((meaning, action) for prefix, meaning, action in EXPLANATIONS if name.startswith(prefix)),
        DEFAULT_EXPLANATION,
    )
    return Problem(
        table=evaluation.asset_key.to_user_string(),
        check=name,
        what_failed=evaluation.description or _from_metadata(name, evaluation.metadata),
        meaning=meaning,
        action=action,
    )


def _from_metadata(check_name: str, metadata: Mapping) -> str:
    """dbt tests carry no description, only the number of failing rows."""
    failed = metadata.get("dagster_dbt/failed_row_count")
    count = getattr(failed, "value", failed)
    return f"{check_name}: {count} rows break it" if count is not None else f"{check_name} failed"


def failed_blocking_checks(result: ExecuteInProcessResult) -> list[AssetCheckEvaluation]:
    return [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    ]


def last_publication(serving_db: Path) -> str:
    """When the file dashboards read was published, in words."""
    if not serving_db.exists():
        return "no serving file has been published yet, so dashboards have nothing to show"
    with duckdb.connect(str(serving_db), read_only=True) as con:
        published_at, run_id = con.execute("select published_at, run_id from dealledger_publication").fetchone()
    return f"dashboards still show the run published at {published_at:%Y-%m-%d %H:%M} UTC (run {run_id[:8]})"


def failure_report(result: ExecuteInProcessResult, serving_db: Path) -> str:
    lines = ["", "dealledger: the run did NOT publish.", ""]
    for problem in map(explain, failed_blocking_checks(result)):
        lines += [
            f"✘ {problem.table}: check {problem.check} failed",
            *(f"    {line}" for line in problem.what_failed.splitlines()),
            f"  What it means: {problem.meaning}.",
            f"  What to do: {problem.action}.",
            "",
        ]
    for step_event in result.get_step_failure_events():
        error = step_event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error and error.message.strip() else "unknown error"
        lines += [f"✘ step {step_event.step_key} stopped: {message}", ""]
    lines.append(f"The serving file was NOT replaced: {last_publication(serving_db)}.")
    return "\n".join(lines)
