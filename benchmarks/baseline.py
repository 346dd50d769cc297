"""The baseline: the same reads, dedup, matching and marts as the pipeline, as DuckDB SQL in one process.

- ingest: each export file read by DuckDB's `read_csv` (dialect and types pinned, nothing per row in
  Python) into the same raw tables, lineage columns included; the content hash as the pipeline's
  (sha256), and a file whose bytes were loaded before is skipped, as the pipeline does (no rejects ledger);
- transform: the seeds, then the dbt project's own compiled SQL for staging, matching and marts, with
  four dedup models written here by hand as single group-bys (arg_max / arg_min). Their aggregate states
  (structs) do not spill, so each runs in as many passes over a hash range of its key as the memory limit
  needs (one at 1M deals; ten for the deals at 10M). The fifth,
  int_deal_stage_changes_collapsed, runs the project's SQL: as one group-by over structs it ran out of
  the 2 GB memory limit at 1M deals, the project's version fits;
- checks: row count and key uniqueness of every mart;
- publish: the marts copied into a serving file of the storage version BI tools read.

Usage: python -m benchmarks.baseline INBOX MANIFEST_JSON OUT_DIR TIMINGS_JSON (the manifest of `dbt compile`).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import NamedTuple

import duckdb
import yaml

from dealledger.demo.export import CHANGES_SUFFIX
from dealledger.ingest.layouts import LAYOUTS_BY_KIND, raw_table_ddl
from dealledger.ingest.loader import content_hash
from dealledger.ingest.spec import LINEAGE_COLUMNS, RAW_TEXT_SUFFIX, is_locale_parsed
from dealledger.serving.publish import SERVING_STORAGE_VERSION
from dealledger.settings import REPO_ROOT, load_settings, memory_mib

BASELINE_LOAD_ID = "baseline"
# Input rows one pass of a hand-written group-by may aggregate, per MiB of DuckDB's memory limit. Measured
# on the deals' (the widest state) at 1M deals: 3.09M rows in one pass fit 2 GB (1,620 rows per MiB);
# at 400 MB, 770k rows (2,020 per MiB) fit and 1.03M (2,700 per MiB) ran out of memory.
ROWS_PER_PASS_PER_MIB = 1_700


class GroupBy(NamedTuple):
    """A hand-written model: `sql` aggregates `{rows}`, the rows of `source`, by `key`."""

    source: str
    key: str
    sql: str

    def passes(self, con: duckdb.DuckDBPyConnection, memory_limit: str) -> int:
        rows = con.execute(f"select count(*) from {self.source}").fetchone()[0]
        return max(1, math.ceil(rows / (ROWS_PER_PASS_PER_MIB * memory_mib(memory_limit))))

    def pass_sql(self, part: int, passes: int) -> str:
        if passes == 1:
            return self.sql.format(rows=self.source)
        return self.sql.format(rows=f"(select * from {self.source} where hash({self.key}) % {passes} = {part})")


HAND_WRITTEN = {
    "int_deals_deduplicated": GroupBy(
        "main.stg_crm__deals",
        "deal_id",
        """
        select
            deal_id,
            s.source_system, s.source_deal_id, s.deal_name, s.account_id, s.owner_id, s.stage, s.amount,
            s.currency, s.expected_close_date, s.created_at, s.updated_at, s.lead_source,
            s.referrer_account_id, s.lost_reason, s.quote_number, s.po_number, s.merged_into_deal_id,
            s.is_deleted,
            first_export_date, last_export_date, export_row_count,
            f.source_file as first_source_file, f.source_row as first_source_row, f.load_id as first_load_id,
            s.source_file, s.source_row, s.export_date, s.load_id
        from (
            select
                deal_id,
                arg_max(
                    struct_pack(source_system, source_deal_id, deal_name, account_id, owner_id, stage, amount,
                        currency, expected_close_date, created_at, updated_at, lead_source, referrer_account_id,
                        lost_reason, quote_number, po_number, merged_into_deal_id, is_deleted, source_file,
                        source_row, export_date, load_id),
                    (updated_at is not null, updated_at, export_date, source_row, load_id)
                ) as s,
                arg_min(struct_pack(source_file, source_row, load_id), (export_date, source_row, load_id)) as f,
                min(export_date) as first_export_date,
                max(export_date) as last_export_date,
                count(*) as export_row_count
            from {rows}
            group by deal_id
        )
    """,
    ),
    "int_invoices_deduplicated": GroupBy(
        "main.stg_billing__invoices",
        "invoice_id",
        """
        select
            invoice_id,
            s.source_system, s.source_invoice_id, s.invoice_number, s.invoice_type, s.customer_id,
            s.customer_name, s.customer_kvk, s.invoice_date, s.due_date, s.currency, s.net_amount,
            s.vat_amount, s.total_amount, s.reference, s.corrects_invoice_number,
            export_row_count, s.export_date, s.source_file, s.source_row, s.load_id
        from (
            select
                invoice_id,
                arg_max(
                    struct_pack(source_system, source_invoice_id, invoice_number, invoice_type, customer_id,
                        customer_name, customer_kvk, invoice_date, due_date, currency, net_amount, vat_amount,
                        total_amount, reference, corrects_invoice_number, export_date, source_file, source_row,
                        load_id),
                    (export_date, source_row, load_id)
                ) as s,
                count(*) as export_row_count
            from {rows}
            group by invoice_id
        )
    """,
    ),
    "int_invoice_lines_deduplicated": GroupBy(
        "main.stg_billing__invoice_lines",
        "invoice_id, line_number",
        """
        select
            md5(invoice_id || '|' || cast(line_number as varchar)) as invoice_line_id,
            invoice_id, line_number,
            s.description, s.quantity, s.unit_price, s.line_amount, s.vat_rate, s.export_date, s.source_file,
            s.source_row, s.load_id
        from (
            select
                invoice_id, line_number,
                arg_max(
                    struct_pack(description, quantity, unit_price, line_amount, vat_rate, export_date,
                        source_file, source_row, load_id),
                    (export_date, source_row, load_id)
                ) as s
            from {rows}
            group by invoice_id, line_number
        )
    """,
    ),
    "int_users_deduplicated": GroupBy(
        "main.stg_crm__users",
        "owner_id",
        """
        select
            owner_id,
            s.source_owner_id, s.full_name, s.email_hash, s.team, s.is_active,
            first_export_date, last_export_date, s.source_file, s.source_row
        from (
            select
                owner_id,
                arg_max(struct_pack(source_owner_id, full_name, email_hash, team, is_active, source_file,
                    source_row), (export_date, source_row, load_id)) as s,
                min(export_date) as first_export_date,
                max(export_date) as last_export_date
            from {rows}
            group by owner_id
        )
    """,
    ),
}


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ingest(con: duckdb.DuckDBPyConnection, inbox: Path) -> int:
    """Every export into its raw table; returns the rows loaded."""
    for layout in LAYOUTS_BY_KIND.values():
        con.execute(f"create schema if not exists {layout.raw_schema}")
        con.execute(raw_table_ddl(layout))
    rows = 0
    seen: set[str] = set()
    for path in sorted(inbox.glob("*.csv")):
        # Like the pipeline, a file whose bytes were loaded before (the same export again) loads once.
        # Hashed in blocks, as the pipeline does: read_blob holds the whole file in DuckDB's memory, and
        # the largest export at 10M deals (2 GB) does not fit its limit.
        digest = content_hash(path)
        if digest in seen:
            continue
        seen.add(digest)
        # The demo's names are `<kind>_<YYYYMMDD>.csv`, `<kind>_changes_<YYYYMMDD>.csv` for a changes export:
        # no header sniffing needed to know the layout.
        kind, day = path.stem.rsplit("_", 1)
        scope = "changes" if kind.endswith(CHANGES_SUFFIX) else "full"
        layout = LAYOUTS_BY_KIND[kind.removesuffix(CHANGES_SUFFIX)]
        export_date = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        specs = layout.column_specs
        text_columns = "{" + ", ".join(f"{_sql_text(c.name)}: 'varchar'" for c in specs) + "}"
        targets = [c.name for c in specs] + [name for name, _ in LINEAGE_COLUMNS]
        values = [c.name if c.type == "varchar" else f"cast(nullif({c.name}, '') as {c.type})" for c in specs]
        values += ["?", "?", "row_number() over ()", "?", "cast(? as date)", "?"]
        for column in (c for c in specs if is_locale_parsed(c.type)):
            targets.append(column.name + RAW_TEXT_SUFFIX)
            values.append(column.name)
        row = con.execute(
            f"""
            insert into {layout.raw_table} ({", ".join(targets)})
            select {", ".join(values)}
            from read_csv({_sql_text(str(path))}, header = true, delim = ',', quote = '"', escape = '"',
                          auto_detect = false, strict_mode = true, columns = {text_columns})
            """,
            [path.name, digest, BASELINE_LOAD_ID, export_date, scope],
        ).fetchone()
        rows += int(row[0]) if row else 0
    return rows


def _load_seeds(con: duckdb.DuckDBPyConnection) -> None:
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    for name, config in project["seeds"]["dealledger"].items():
        types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in config["+column_types"].items()) + "}"
        path = load_settings().seeds_dir / f"{name}.csv"
        con.execute(f"create table main.{name} as select * from read_csv('{path}', header = true, columns = {types})")


def _models_in_order(manifest: dict) -> list[dict]:
    """The project's models, each after the models it depends on."""
    nodes = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    ordered: list[dict] = []
    done: set[str] = set()

    def visit(key: str) -> None:
        if key in done or key not in nodes:
            return
        done.add(key)
        for parent in nodes[key]["depends_on"]["nodes"]:
            visit(parent)
        ordered.append(nodes[key])

    for key in sorted(nodes):
        visit(key)
    return ordered


def transform(con: duckdb.DuckDBPyConnection, manifest: dict, memory_limit: str) -> None:
    _load_seeds(con)
    for node in _models_in_order(manifest):
        relation = node["relation_name"]
        hand_written = HAND_WRITTEN.get(node["name"])
        if hand_written is None:
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"create {kind} {relation} as {node['compiled_code']}")
            continue
        passes = hand_written.passes(con, memory_limit)
        con.execute(f"create table {relation} as {hand_written.pass_sql(0, passes)}")
        for part in range(1, passes):
            con.execute(f"insert into {relation} {hand_written.pass_sql(part, passes)}")


def mart_names(manifest: dict) -> list[str]:
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


def mart_keys(manifest: dict, marts: list[str]) -> dict[str, list[list[str]]]:
    """Each mart's keys, as its dbt tests declare them: every `primary_key` test's columns, every `unique` column."""
    keys: dict[str, list[list[str]]] = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        mart = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        if mart not in marts:
            continue
        if metadata.get("name") == "primary_key":
            keys.setdefault(mart, []).append(metadata["kwargs"]["columns"])
        elif metadata.get("name") == "unique":
            keys.setdefault(mart, []).append([node["column_name"]])
    missing = sorted(set(marts) - keys.keys())
    if missing:
        raise RuntimeError(f"marts without a primary_key or unique test: {', '.join(missing)}")
    return keys


def check(con: duckdb.DuckDBPyConnection, keys: dict[str, list[list[str]]]) -> None:
    """Every key of every mart is unique and never NULL (the same rule as the project's primary_key tests)."""
    for mart, declared in keys.items():
        for columns in declared:
            key = ", ".join(columns)
            not_null = " and ".join(f"{column} is not null" for column in columns)
            rows, distinct = con.execute(
                f"select count(*), count(distinct ({key})) filter (where {not_null}) from main.{mart}"
            ).fetchone()
            if rows != distinct:
                raise RuntimeError(f"{mart}: {rows} rows, {distinct} distinct non-NULL keys ({key})")


def publish(con: duckdb.DuckDBPyConnection, serving: Path, marts: list[str]) -> None:
    serving.unlink(missing_ok=True)
    con.execute(f"attach '{serving}' as serving (storage_version '{SERVING_STORAGE_VERSION}')")
    for mart in marts:
        con.execute(f"create table serving.main.{mart} as select * from main.{mart}")
    con.execute("detach serving")


def main(inbox: Path, manifest_path: Path, baseline_dir: Path, timings_path: Path) -> int:
    started = time.time()
    manifest = json.loads(manifest_path.read_text())
    marts = mart_names(manifest)
    baseline_dir.mkdir(parents=True, exist_ok=True)
    # The compiled SQL names the database by its file name: the build database is build.duckdb.
    build_db = baseline_dir / "build.duckdb"
    build_db.unlink(missing_ok=True)
    settings = load_settings()
    # The dbt profile's settings (dbt_project/profiles.yml).
    config = {
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(baseline_dir / "duckdb_tmp"),
        "preserve_insertion_order": False,
    }
    steps = []
    with duckdb.connect(str(build_db), config=config) as con:
        for kind, action in (
            ("ingest", lambda: ingest(con, inbox)),
            ("dbt build", lambda: transform(con, manifest, settings.duckdb_memory_limit)),
            ("checks", lambda: check(con, mart_keys(manifest, marts))),
            ("publish", lambda: publish(con, baseline_dir / "serving.duckdb", marts)),
        ):
            start = time.time()
            action()
            steps.append({"step": kind, "kind": kind, "start": start, "end": time.time(), "outcome": "STEP_SUCCESS"})
    timings = {"process_started": started, "job_started": steps[0]["start"], "job_ended": time.time()}
    timings_path.write_text(json.dumps({**timings, "success": True, "steps": steps}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(argument) for argument in sys.argv[1:5])))
