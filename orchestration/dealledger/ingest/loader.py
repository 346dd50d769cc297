"""Load one export file into its raw table, strictly, without losing a row.

A file is read in two passes inside DuckDB (no Python loop over rows):
1. structure: every field as text with the delimiter, quote, header and column count pinned and
   auto-detection off; rows DuckDB cannot split (ragged, bad quoting, invalid UTF-8) land in its
   rejects table with line and reason;
2. types: each typed column is cast with `try_cast`; a non-empty value that does not cast rejects its row.
Every row read ends up either in the raw table or in `raw_meta.rejects`; `raw_meta.loaded_files` keeps
the counts per file, and a content hash is loaded only once.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dealledger.ingest.layouts import ExportLayout, raw_table_ddl

BOOKKEEPING_DDL = (
    "create schema if not exists raw_meta",
    """create table if not exists raw_meta.loaded_files (
        load_id varchar,
        source_file varchar,
        content_hash varchar,
        export_kind varchar,
        export_date date,
        status varchar,  -- loaded | quarantined
        status_reason varchar,
        rows_read bigint,
        rows_loaded bigint,
        rows_rejected bigint,
        loaded_at timestamp
    )""",
    """create table if not exists raw_meta.rejects (
        load_id varchar,
        source_file varchar,
        content_hash varchar,
        line bigint,
        column_name varchar,
        raw_line varchar,
        reason varchar
    )""",
)


class HeaderMismatchError(ValueError):
    """The file's header is not the layout's: the file is quarantined, not guessed at."""


@dataclass(frozen=True)
class FileLoadResult:
    source_file: str
    content_hash: str
    status: str  # loaded | skipped (same content loaded before) | quarantined
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, layouts: tuple[ExportLayout, ...]) -> None:
    for statement in BOOKKEEPING_DDL:
        con.execute(statement)
    for layout in layouts:
        con.execute(f"create schema if not exists {layout.raw_schema}")
        con.execute(raw_table_ddl(layout))


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_header(path: Path, layout: ExportLayout) -> None:
    with path.open("rb") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        raise HeaderMismatchError(f"{path.name}: the file is empty (no header line)")
    header_text = first_line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    found = [name.strip().strip('"') for name in header_text.split(",")]
    expected = layout.column_names
    if found == expected:
        return
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    details = []
    if missing:
        details.append(f"missing column(s) {', '.join(missing)}")
    if unexpected:
        details.append(f"unexpected column(s) {', '.join(unexpected[:5])}")
    if not details:
        details.append("columns in another order")
    raise HeaderMismatchError(
        f"{path.name}, line 1: header does not match the {layout.kind} layout: {'; '.join(details)}. "
        f"Expected: {','.join(expected)}"
    )


def _record_file(
    con: duckdb.DuckDBPyConnection,
    result: FileLoadResult,
    layout: ExportLayout,
    export_date: str,
    load_id: str,
) -> None:
    con.execute(
        "insert into raw_meta.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [
            load_id,
            result.source_file,
            result.content_hash,
            layout.kind,
            export_date,
            result.status,
            result.reason,
            result.rows_read,
            result.rows_loaded,
            result.rows_rejected,
        ],
    )


def _already_loaded(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    row = con.execute(
        "select count(*) from raw_meta.loaded_files where content_hash = ? and status = 'loaded'", [digest]
    ).fetchone()
    return row is not None and row[0] > 0


def load_export_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: ExportLayout,
    export_date: str,
    load_id: str,
    quarantine_dir: Path,
) -> FileLoadResult:
    """Load `path` into `layout.raw_table`; the caller owns the transaction boundaries."""
    digest = content_hash(path)
    if _already_loaded(con, digest):
        return FileLoadResult(path.name, digest, "skipped")
    try:
        _check_header(path, layout)
    except HeaderMismatchError as error:
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(path, quarantine_dir / path.name)
        result = FileLoadResult(path.name, digest, "quarantined", reason=str(error))
        _record_file(con, result, layout, export_date, load_id)
        return result

    con.execute("begin transaction")
    try:
        result = _load_rows(con, path, layout, export_date, load_id, digest)
        _record_file(con, result, layout, export_date, load_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _load_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: ExportLayout,
    export_date: str,
    load_id: str,
    digest: str,
) -> FileLoadResult:
    text_columns = ", ".join(f"'{name}': 'varchar'" for name in layout.column_names)
    # Pass 1: split the file. Rejects tables are temporary per connection, so clear them first.
    con.execute("drop table if exists temp.csv_rejects_scan")
    con.execute("drop table if exists temp.csv_rejects")
    con.execute(
        f"""
        create or replace temp table export_text as
        select
            *,
            row_number() over () as _record_index
        from read_csv(
            ?,
            header = true,
            delim = ',',
            quote = '"',
            escape = '"',
            auto_detect = false,
            strict_mode = true,
            null_padding = false,
            columns = {{{text_columns}}},
            store_rejects = true,
            rejects_scan = 'csv_rejects_scan',
            rejects_table = 'csv_rejects'
        )
        """,
        [str(path)],
    )
    # Physical line of each structural reject; a loaded record's line is its index plus the header
    # plus the rejected lines before it (exact unless a quoted field spans several lines).
    con.execute(
        """
        create or replace temp table structural_rejects as
        select
            line,
            string_agg(distinct coalesce(column_name, ''), ', ' order by coalesce(column_name, '')) as column_name,
            any_value(csv_line) as raw_line,
            string_agg(distinct lower(error_type::varchar) || ': ' || error_message, '; '
                       order by lower(error_type::varchar) || ': ' || error_message) as reason
        from temp.csv_rejects
        group by line
        """
    )
    con.execute(
        """
        create or replace temp table export_lines as
        with rejected as (
            select
                line,
                line - 1 - row_number() over (order by line) as records_loaded_before
            from structural_rejects
        )
        select
            t.*,
            t._record_index + 1 + (
                select count(*) from rejected r where r.records_loaded_before < t._record_index
            ) as _line
        from export_text as t
        """
    )

    typed = [(name, type_) for name, type_ in layout.columns if type_ != "varchar"]
    # One struct per value its column type cannot read; unnested into one ledger row each.
    failure_structs = ", ".join(
        f"case when {name} is not null and try_cast({name} as {type_}) is null then "
        f"{{'column_name': '{name}', 'reason': 'value ''' || {name} || ''' does not parse as {type_}'}} end"
        for name, type_ in typed
    )
    raw_line = "concat_ws(',', " + ", ".join(f"coalesce({name}, '')" for name, _ in layout.columns) + ")"
    if typed:
        con.execute(
            f"""
            create or replace temp table type_failures as
            select
                line,
                unnest(failure),
                raw_line
            from (
                select
                    _line as line,
                    unnest(list_filter([{failure_structs}], f -> f is not null)) as failure,
                    {raw_line} as raw_line
                from export_lines
            )
            """
        )
    else:
        con.execute(
            "create or replace temp table type_failures "
            "(line bigint, column_name varchar, reason varchar, raw_line varchar)"
        )
    for rejects in ("structural_rejects", "type_failures"):
        con.execute(
            f"insert into raw_meta.rejects select ?, ?, ?, line, column_name, raw_line, reason from {rejects}",
            [load_id, path.name, digest],
        )
    casts = ", ".join(
        name if type_ == "varchar" else f"cast({name} as {type_}) as {name}" for name, type_ in layout.columns
    )
    con.execute(
        f"""
        insert into {layout.raw_table}
        select
            {casts},
            ? as _source_file,
            ? as _content_hash,
            _line - 1 as _row_number,
            ? as _load_id,
            cast(? as date) as _export_date
        from export_lines
        where _line not in (select line from type_failures)
        """,
        [path.name, digest, load_id, export_date],
    )
    loaded, structural, typed_rejected = con.execute(
        f"""
        select
            (select count(*) from {layout.raw_table} where _content_hash = ? and _load_id = ?),
            (select count(*) from structural_rejects),
            (select count(distinct line) from type_failures)
        """,
        [digest, load_id],
    ).fetchone()
    rejected = structural + typed_rejected
    return FileLoadResult(path.name, digest, "loaded", loaded + rejected, loaded, rejected)
