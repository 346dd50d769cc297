"""Ingest assets: one per export kind, keyed like the dbt source so lineage joins without glue code.

All raw tables are materialized by one subsettable multi-asset: the inbox is scanned and the build
database opened once per run instead of once per export kind (55 kinds), which was most of a run's
fixed cost. The UI still shows one asset, with its own checks, per raw table.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from dealledger.ingest.layouts import LAYOUTS, ExportLayout, layout_for_file
from dealledger.ingest.loader import (
    FileLoadResult,
    ensure_raw_tables,
    is_ubl_file,
    load_export_file,
    load_ubl_documents,
    loaded_hashes,
)
from dealledger.ingest.registry import Registry, registry_for
from dealledger.resources import Warehouse

DUCKDB_WRITER_POOL = "duckdb_writer"
FIRST_BAD_LINES_SHOWN = 5


def inbox_files(inbox_dir: Path, registry: Registry | None = None) -> list[tuple[Path, ExportLayout, str]]:
    """Every export in the inbox whose name declares a known layout, oldest export first."""
    if not inbox_dir.is_dir():
        return []
    registry = registry or registry_for()
    found = []
    for path in sorted(inbox_dir.iterdir()):
        declared = layout_for_file(path, registry) if path.is_file() else None
        if declared is not None:
            layout, export_date = declared
            found.append((path, layout, export_date))
    return sorted(found, key=lambda item: (item[2], item[0].name))


def _raw_table_key(layout: ExportLayout) -> AssetKey:
    return AssetKey([layout.source, layout.table])


def _accounting_check(con: duckdb.DuckDBPyConnection, layout: ExportLayout) -> AssetCheckResult:
    """Recount every file of this kind from the raw table and the ledger: read = loaded + rejected."""
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
        asset_key=_raw_table_key(layout),
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
    con: duckdb.DuckDBPyConnection, layout: ExportLayout, max_reject_rate: float, results: Iterable[FileLoadResult]
) -> AssetCheckResult:
    """Every file of this kind in the inbox, loaded now or before, within the reject threshold.

    A file loaded by an earlier run counts with its ledger numbers: it keeps blocking until it is
    replaced or removed from the inbox, not only on the run that first read it.
    """
    in_inbox = {result.content_hash for result in results if result.status in ("loaded", "skipped")}
    ledger = con.execute(
        """
        select source_file, content_hash, rows_read, rows_rejected from raw_meta.loaded_files
        where export_kind = ? and status = 'loaded' and rows_read > 0
          and rows_rejected > ? * rows_read
        order by source_file
        """,
        [layout.kind, max_reject_rate],
    ).fetchall()
    too_many = [
        FileLoadResult(file, digest, "loaded", rows_read=read, rows_rejected=rejected)
        for file, digest, read, rejected in ledger
        if digest in in_inbox
    ]
    descriptions = []
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
        asset_key=_raw_table_key(layout),
        check_name="reject_rate_within_threshold",
        passed=not too_many,
        description="\n".join(descriptions) or None,
        metadata={"max_reject_rate": max_reject_rate, "files_over_threshold": len(too_many)},
    )


def _quarantine_check(layout: ExportLayout, results: Iterable[FileLoadResult]) -> AssetCheckResult:
    quarantined = [result for result in results if result.status == "quarantined"]
    return AssetCheckResult(
        asset_key=_raw_table_key(layout),
        check_name="no_file_quarantined",
        passed=not quarantined,
        severity=AssetCheckSeverity.WARN,
        description="\n".join(result.reason or result.source_file for result in quarantined) or None,
        metadata={"files_quarantined": len(quarantined)},
    )


def _freshness_check(con: duckdb.DuckDBPyConnection, layout: ExportLayout, max_age: int | None) -> AssetCheckResult:
    """Warn when the newest export of this kind is older than its source's allowed age."""
    newest, age_days = con.execute(
        """
        select max(export_date), current_date - max(export_date)
        from raw_meta.loaded_files where export_kind = ? and status = 'loaded'
        """,
        [layout.kind],
    ).fetchone()
    fresh = max_age is None or (age_days is not None and age_days <= max_age)
    return AssetCheckResult(
        asset_key=_raw_table_key(layout),
        check_name="export_is_fresh",
        passed=fresh,
        severity=AssetCheckSeverity.WARN,
        description=None
        if fresh
        else f"The newest {layout.kind} export is from {newest or 'never'}; "
        f"a new one is expected at least every {max_age} days.",
        metadata={"newest_export_date": str(newest), "max_age_days": max_age if max_age is not None else -1},
    )


def _check_specs(layout: ExportLayout) -> list[AssetCheckSpec]:
    key = _raw_table_key(layout)
    return [
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
    ]


def _raw_table_result(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, layout: ExportLayout, results: list[FileLoadResult]
) -> MaterializeResult:
    total_rows = con.execute(f"select count(*) from {layout.raw_table}").fetchone()[0]
    return MaterializeResult(
        asset_key=_raw_table_key(layout),
        metadata={
            "files_loaded": sum(result.status == "loaded" for result in results),
            "files_skipped_already_loaded": sum(result.status == "skipped" for result in results),
            "files_quarantined": sum(result.status == "quarantined" for result in results),
            "rows_loaded": sum(result.rows_loaded for result in results),
            "rows_rejected": sum(result.rows_rejected for result in results),
            "dagster/row_count": total_rows,
        },
        check_results=[
            _accounting_check(con, layout),
            _reject_rate_check(con, layout, warehouse.max_reject_rate, results),
            _quarantine_check(layout, results),
            _freshness_check(con, layout, warehouse.max_export_age_days.get(layout.source)),
        ],
    )


def _logged(context: AssetExecutionContext, result: FileLoadResult) -> FileLoadResult:
    context.log.info(
        f"{result.source_file}: {result.status}, {result.rows_loaded} loaded, "
        f"{result.rows_rejected} rejected" + (f" ({result.reason})" if result.reason else "")
    )
    return result


def build_ingest_assets(layouts: tuple[ExportLayout, ...] = LAYOUTS) -> AssetsDefinition:
    @multi_asset(
        name="ingest_exports",
        specs=[
            AssetSpec(
                _raw_table_key(layout),
                group_name="ingest",
                description=f"Every `{layout.kind}` export in the inbox, loaded into `{layout.raw_table}` with "
                "lineage columns; bad rows go to `raw_meta.rejects`.",
                skippable=True,
            )
            for layout in layouts
        ],
        check_specs=[spec for layout in layouts for spec in _check_specs(layout)],
        can_subset=True,
        pool=DUCKDB_WRITER_POOL,
    )
    def ingest_exports(context: AssetExecutionContext, warehouse: Warehouse) -> Iterator[MaterializeResult]:
        selected = [layout for layout in layouts if _raw_table_key(layout) in context.selected_asset_keys]
        results: dict[str, list[FileLoadResult]] = {layout.kind: [] for layout in selected}
        with warehouse.connect() as con:
            ensure_raw_tables(con, LAYOUTS)
            # Looked up once per run, not once per file: the layouts and mappings, and what was loaded before.
            registry = registry_for()
            loaded = loaded_hashes(con)
            # One pass over the inbox, oldest export first, whatever kind each file is; UBL documents (one
            # per file, often thousands) after it, loaded together.
            documents: dict[str, tuple[ExportLayout, list[tuple[Path, str]]]] = {}
            for path, layout, export_date in inbox_files(warehouse.inbox_dir, registry):
                if layout.kind not in results:
                    continue
                if is_ubl_file(path, layout, registry):
                    documents.setdefault(layout.kind, (layout, []))[1].append((path, export_date))
                    continue
                result = load_export_file(
                    con, path, layout, export_date, context.run.run_id, warehouse.quarantine_dir, registry, loaded
                )
                results[layout.kind].append(_logged(context, result))
            for layout, files in documents.values():
                for result in load_ubl_documents(
                    con, files, layout, context.run.run_id, warehouse.quarantine_dir, registry, loaded
                ):
                    results[layout.kind].append(_logged(context, result))
            for layout in selected:
                yield _raw_table_result(con, warehouse, layout, results[layout.kind])

    return ingest_exports
