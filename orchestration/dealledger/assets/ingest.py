"""Ingest assets: one per export kind, keyed like the dbt source so lineage joins without glue code."""

from collections.abc import Iterable
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from dealledger.ingest.layouts import LAYOUTS, ExportLayout, layout_for_file
from dealledger.ingest.loader import FileLoadResult, ensure_raw_tables, load_export_file
from dealledger.resources import Warehouse

DUCKDB_WRITER_POOL = "duckdb_writer"
FIRST_BAD_LINES_SHOWN = 5


def inbox_files(inbox_dir: Path) -> list[tuple[Path, ExportLayout, str]]:
    """Every export in the inbox whose name declares a known layout, oldest export first."""
    if not inbox_dir.is_dir():
        return []
    found = []
    for path in sorted(inbox_dir.iterdir()):
        declared = layout_for_file(path) if path.is_file() else None
        if declared is not None:
            layout, export_date = declared
            found.append((path, layout, export_date))
    return sorted(found, key=lambda item: (item[2], item[0].name))


def _accounting_check(warehouse: Warehouse, layout: ExportLayout) -> AssetCheckResult:
    """Recount every file of this kind from the raw table and the ledger: read = loaded + rejected."""
    with warehouse.connect(read_only=True) as con:
        mismatches = con.execute(
            f"""
            with loaded as (
                select _content_hash, count(*) as rows_in_raw
                from {layout.raw_table}
                group by _content_hash
            ),
            rejected as (
                select content_hash, count(distinct line) as lines_rejected
                from raw_meta.rejects
                group by content_hash
            )
            select
                f.source_file,
                f.rows_read,
                coalesce(l.rows_in_raw, 0) as rows_in_raw,
                coalesce(r.lines_rejected, 0) as lines_rejected
            from raw_meta.loaded_files as f
            left join loaded as l on l._content_hash = f.content_hash
            left join rejected as r on r.content_hash = f.content_hash
            where f.export_kind = ? and f.status = 'loaded'
              and f.rows_read <> coalesce(l.rows_in_raw, 0) + coalesce(r.lines_rejected, 0)
            """,
            [layout.kind],
        ).fetchall()
    return AssetCheckResult(
        check_name="rows_accounted_for",
        passed=not mismatches,
        description="\n".join(
            f"{file}: {read} rows read, but {loaded} loaded + {rejected} rejected = {loaded + rejected}"
            for file, read, loaded, rejected in mismatches
        )
        or None,
        metadata={
            "files_out_of_balance": MetadataValue.json(
                [
                    {"file": file, "read": read, "loaded": loaded, "rejected": rejected}
                    for file, read, loaded, rejected in mismatches
                ]
            )
        },
    )


def _reject_rate_check(
    warehouse: Warehouse, layout: ExportLayout, results: Iterable[FileLoadResult]
) -> AssetCheckResult:
    too_many = [
        result
        for result in results
        if result.status == "loaded"
        and result.rows_read
        and result.rows_rejected / result.rows_read > warehouse.max_reject_rate
    ]
    descriptions = []
    if too_many:
        with warehouse.connect(read_only=True) as con:
            for result in too_many:
                first_bad = con.execute(
                    """
                    select line, column_name, reason from raw_meta.rejects
                    where content_hash = ? order by line limit ?
                    """,
                    [result.content_hash, FIRST_BAD_LINES_SHOWN],
                ).fetchall()
                lines = "; ".join(f"line {line} ({column or 'row'}): {reason}" for line, column, reason in first_bad)
                descriptions.append(
                    f"{result.source_file}: {result.rows_rejected} of {result.rows_read} rows rejected. "
                    f"First bad lines: {lines}"
                )
    return AssetCheckResult(
        check_name="reject_rate_within_threshold",
        passed=not too_many,
        description="\n".join(descriptions) or None,
        metadata={"max_reject_rate": warehouse.max_reject_rate, "files_over_threshold": len(too_many)},
    )


def _quarantine_check(results: Iterable[FileLoadResult]) -> AssetCheckResult:
    quarantined = [result for result in results if result.status == "quarantined"]
    return AssetCheckResult(
        check_name="no_file_quarantined",
        passed=not quarantined,
        severity=AssetCheckSeverity.WARN,
        description="\n".join(result.reason or result.source_file for result in quarantined) or None,
        metadata={"files_quarantined": len(quarantined)},
    )


def _freshness_check(warehouse: Warehouse, layout: ExportLayout) -> AssetCheckResult:
    """Warn when the newest export of this kind is older than its source's allowed age."""
    max_age = warehouse.max_export_age_days.get(layout.source)
    with warehouse.connect(read_only=True) as con:
        newest, age_days = con.execute(
            """
            select max(export_date), current_date - max(export_date)
            from raw_meta.loaded_files where export_kind = ? and status = 'loaded'
            """,
            [layout.kind],
        ).fetchone()
    fresh = max_age is None or (age_days is not None and age_days <= max_age)
    return AssetCheckResult(
        check_name="export_is_fresh",
        passed=fresh,
        severity=AssetCheckSeverity.WARN,
        description=None
        if fresh
        else f"The newest {layout.kind} export is from {newest or 'never'}; "
        f"a new one is expected at least every {max_age} days.",
        metadata={"newest_export_date": str(newest), "max_age_days": max_age if max_age is not None else -1},
    )


def build_ingest_asset(layout: ExportLayout) -> AssetsDefinition:
    key = AssetKey([layout.source, layout.table])

    @asset(
        key=key,
        group_name="ingest",
        pool=DUCKDB_WRITER_POOL,
        description=f"Every `{layout.kind}_<YYYYMMDD>.csv` export in the inbox, loaded into "
        f"`{layout.raw_table}` with lineage columns; bad rows go to `raw_meta.rejects`.",
        check_specs=[
            AssetCheckSpec(
                "rows_accounted_for",
                asset=key,
                blocking=True,
                description="Per file: rows read = rows loaded + rows rejected.",
            ),
            AssetCheckSpec(
                "reject_rate_within_threshold",
                asset=key,
                blocking=True,
                description="No file rejects more than the configured share of its rows.",
            ),
            AssetCheckSpec(
                "export_is_fresh",
                asset=key,
                description="A new export of this kind arrived within the allowed age (warning only).",
            ),
            AssetCheckSpec(
                "no_file_quarantined",
                asset=key,
                description="No file was stopped for a header that does not match its layout.",
            ),
        ],
    )
    def ingest_export(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        results = []
        with warehouse.connect() as con:
            ensure_raw_tables(con, LAYOUTS)
            for path, file_layout, export_date in inbox_files(warehouse.inbox_dir):
                if file_layout != layout:
                    continue
                result = load_export_file(con, path, layout, export_date, context.run_id, warehouse.quarantine_dir)
                context.log.info(
                    f"{result.source_file}: {result.status}, {result.rows_loaded} loaded, "
                    f"{result.rows_rejected} rejected" + (f" ({result.reason})" if result.reason else "")
                )
                results.append(result)
            total_rows = con.execute(f"select count(*) from {layout.raw_table}").fetchone()[0]
        return MaterializeResult(
            metadata={
                "files_loaded": sum(result.status == "loaded" for result in results),
                "files_skipped_already_loaded": sum(result.status == "skipped" for result in results),
                "files_quarantined": sum(result.status == "quarantined" for result in results),
                "rows_loaded": sum(result.rows_loaded for result in results),
                "rows_rejected": sum(result.rows_rejected for result in results),
                "dagster/row_count": total_rows,
            },
            check_results=[
                _accounting_check(warehouse, layout),
                _reject_rate_check(warehouse, layout, results),
                _quarantine_check(results),
                _freshness_check(warehouse, layout),
            ],
        )

    return ingest_export


INGEST_ASSETS: list[AssetsDefinition] = [build_ingest_asset(layout) for layout in LAYOUTS]
