"""Load one export file into its raw table, strictly, without losing a row.

1. The file's content hash: a hash loaded before is skipped (the same delivery twice loads once).
2. Its file spec (name pattern, then header) and header check: a missing required column, an unexpected
   column or a file that cannot be read at all stops the file; it is moved to the quarantine folder with
   the reason (also in `raw_meta.loaded_files`), and other files load.
3. Structure: the rows as text (readers.py). CSV is split by DuckDB with the dialect pinned and
   auto-detection off; rows it cannot split (ragged, bad quoting, invalid UTF-8) are rejected with line
   and reason. JSON is split by DuckDB too, Excel by fastexcel, UBL XML by lxml and XSLT (ubl.py).
4. Types: every column parsed in SQL under the file's dialect (typed.py); a value that does not parse
   rejects its row. Locale-parsed columns keep their text in `<column>__raw`.
Every row read ends up either in the raw table or in `raw_meta.rejects` (file, content hash, line, column,
raw line, reason); `raw_meta.loaded_files` keeps rows read = rows loaded + rows rejected per file.

UBL files hold one document each and come by the thousand: `load_ubl_documents` loads many at once, the
same steps run once for all of them (`load_export_file` of one UBL file is a batch of one).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb

from dealledger.ingest import excel, json_records, readers, typed, ubl
from dealledger.ingest.detect import HeaderMatch, match_header, spec_for_file
from dealledger.ingest.readers import QuarantineError, first_line, sql_text
from dealledger.ingest.registry import Registry, registry_for
from dealledger.ingest.spec import EXTENSION_FORMATS, Dialect, ExportLayout, FileSpec, LayoutConfigError

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
# Added to existing databases by ensure_raw_tables (columns are only ever added, never changed).
BOOKKEEPING_COLUMNS = {
    "raw_meta.loaded_files": (("file_spec", "varchar"), ("file_format", "varchar"), ("export_scope", "varchar")),
}
RAW_LINE_LIMIT = 10_000
# UBL documents loaded together at most (each keeps its fields and element paths until its batch is
# written: about 20 KB, so some 100 MB a batch).
UBL_BATCH = 5_000
# The typed pass's prefixes and whether each materializes its parsed rows (UBL stages two files).
_TYPED_STAGES = (("_dl", False), ("_dl_doc", True), ("_dl_line", True))


class HeaderMismatchError(QuarantineError):
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


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema like 'raw_%'"
    ).fetchall()
    existing: dict[str, set[str]] = {}
    for table, column in rows:
        existing.setdefault(table, set()).add(column)
    return existing


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, layouts: tuple[ExportLayout, ...]) -> None:
    """Create the bookkeeping and raw tables; add columns a newer layout has (never drop or retype)."""
    from dealledger.ingest.layouts import raw_table_ddl

    existing = _existing_columns(con)
    # Every ingest step calls this: on a database that has every table it is one catalog query.
    if not {"raw_meta.loaded_files", "raw_meta.rejects"} <= existing.keys():
        for statement in BOOKKEEPING_DDL:
            con.execute(statement)
    for layout in layouts:
        if layout.raw_table not in existing:
            con.execute(f"create schema if not exists {layout.raw_schema}")
            con.execute(raw_table_ddl(layout))
    existing = _existing_columns(con)
    wanted = [(table, list(columns)) for table, columns in BOOKKEEPING_COLUMNS.items()]
    wanted += [(layout.raw_table, layout.table_columns) for layout in layouts]
    for table, columns in wanted:
        for name, type_ in columns:
            if name not in existing.get(table, set()):
                con.execute(f"alter table {table} add column {name} {type_}")


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _LedgerEntry(NamedTuple):
    result: FileLoadResult
    layout: ExportLayout
    export_date: str
    spec: FileSpec | None


def _record_files(con: duckdb.DuckDBPyConnection, entries: list[_LedgerEntry], load_id: str) -> None:
    """One `raw_meta.loaded_files` row per entry, in one statement (thousands of UBL files load at once)."""
    row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?)"
    parameters = []
    for result, layout, export_date, spec in entries:
        parameters += [
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
            spec.label if spec else None,
            spec.format_for(result.source_file) if spec else None,
            spec.scope if spec else None,
        ]
    con.execute(
        f"""
        insert into raw_meta.loaded_files (
            load_id, source_file, content_hash, export_kind, export_date, status, status_reason,
            rows_read, rows_loaded, rows_rejected, loaded_at, file_spec, file_format, export_scope
        ) values {", ".join([row] * len(entries))}
        """,
        parameters,
    )


def loaded_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The content hashes of every file loaded so far (read once per run, not once per file)."""
    rows = con.execute("select distinct content_hash from raw_meta.loaded_files where status = 'loaded'").fetchall()
    return {digest for (digest,) in rows}


def _clear_temp(con: duckdb.DuckDBPyConnection) -> None:
    tables, views = list(readers.STAGE_TABLES), []
    for prefix, materialize in _TYPED_STAGES:
        typed_tables, typed_views = typed.typed_names(prefix, materialize)
        tables += typed_tables
        views += typed_views
    readers.drop_temp(con, tables, views)


def _quarantined(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: str,
    error: QuarantineError,
    layout: ExportLayout,
    export_date: str,
    load_id: str,
    quarantine_dir: Path,
    spec: FileSpec,
) -> FileLoadResult:
    """Move the file to the quarantine folder, its reason beside it, and record it in the ledger."""
    reason = str(error) if path.name in str(error) else f"{path.name}: {error}"
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / path.name
    if target.exists():
        target = quarantine_dir / f"{path.stem}.{digest[:12]}{path.suffix}"
    shutil.move(path, target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    result = FileLoadResult(path.name, digest, "quarantined", reason=reason)
    _record_files(con, [_LedgerEntry(result, layout, export_date, spec)], load_id)
    return result


def is_ubl_file(path: Path, layout: ExportLayout, registry: Registry) -> bool:
    """Whether `path` is read as a UBL document (load those with `load_ubl_documents`, together). Only an
    XML file's spec is looked up: an ambiguous CSV name would have its header read again."""
    if EXTENSION_FORMATS.get(path.suffix.lower()) != "ubl_xml":
        return False
    spec = spec_for_file(path, registry, kind=layout.kind)
    return spec is not None and spec.format_for(path.name) == "ubl_xml"


def _spec(path: Path, layout: ExportLayout, registry: Registry) -> FileSpec:
    spec = spec_for_file(path, registry, kind=layout.kind)
    if spec is None:
        raise LayoutConfigError(f"{layout.raw_table} has no file spec to read {path.name} with")
    return spec


def load_export_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: ExportLayout,
    export_date: str,
    load_id: str,
    quarantine_dir: Path,
    registry: Registry | None = None,
    loaded: set[str] | None = None,
) -> FileLoadResult:
    """Load `path` into `layout.raw_table`; the writes of one file are one transaction of their own.

    Returns the counts; a file that cannot be read as its layout says is quarantined (moved, with a
    `.reason.txt` beside it) instead of raising. `registry` defaults to the built-in layouts plus the
    mappings in `$DEALLEDGER_HOME/mappings`. `loaded` (from `loaded_hashes`, for callers that load many
    files; default: read now) holds the content hashes loaded before; this file's is added once it loads.
    """
    registry = registry or registry_for()
    loaded = loaded_hashes(con) if loaded is None else loaded
    digest = content_hash(path)
    if digest in loaded:
        return FileLoadResult(path.name, digest, "skipped")
    spec = _spec(path, layout, registry)
    if spec.format_for(path.name) == "ubl_xml":
        return load_ubl_documents(con, [(path, export_date)], layout, load_id, quarantine_dir, registry, loaded)[0]

    try:
        with tempfile.TemporaryDirectory(prefix="dealledger-ingest-") as workdir:
            # Reading and parsing only fill temp tables: a file DuckDB cannot read fails here, before any
            # write, and never leaves a half-loaded file or an aborted transaction behind.
            try:
                try:
                    prepared = _prepare(con, path, layout, spec, Path(workdir))
                except (duckdb.Error, UnicodeError, csv.Error) as error:
                    # Whatever else stops the reading stops this file only, with the message, not the run.
                    message = first_line(error)
                    raise QuarantineError(f"{path.name}: cannot be read: {message}") from error
            except QuarantineError as error:
                return _quarantined(con, path, digest, error, layout, export_date, load_id, quarantine_dir, spec)
            con.execute("begin transaction")
            try:
                result = prepared.write(con, typed.Lineage(load_id, path.name, digest, export_date, spec.scope))
                _record_files(con, [_LedgerEntry(result, layout, export_date, spec)], load_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            loaded.add(digest)
            return result
    finally:
        _clear_temp(con)


@dataclass
class _Prepared:
    """A file read and parsed into temp tables; `write` puts it in the raw table and the ledger."""

    typed_input: typed.TypedInput
    staged: readers.Staged
    failures: int  # rows in _dl_failures

    def write(self, con: duckdb.DuckDBPyConnection, lineage: typed.Lineage) -> FileLoadResult:
        load_id, source_file, digest = lineage.file_key
        # Most files have no bad row: the counts from staging and parsing skip the statements with nothing to do.
        if self.failures:
            typed.record_failures(con, self.typed_input, self.typed_input.dialect.delimiter, lineage.file_key)
        structural = self.staged.rejected
        if structural:
            con.execute(
                f"""
                insert into raw_meta.rejects (load_id, source_file, content_hash, line, column_name, raw_line, reason)
                select ?, ?, ?, line, column_name, left(raw_line, {RAW_LINE_LIMIT}), reason
                from _dl_structural
                order by line
                """,
                [load_id, source_file, digest],
            )
        loaded = typed.insert_rows(con, self.typed_input, lineage, has_failures=self.failures > 0)
        rejected = structural + (typed.failed_lines(con) if self.failures else 0)
        read = self.staged.rows + structural
        if read != loaded + rejected:  # the invariant every file must satisfy
            raise RuntimeError(f"{source_file}: {read} rows read, {loaded} loaded + {rejected} rejected")
        note = "; ".join(self.staged.notes) or None
        return FileLoadResult(source_file, digest, "loaded", read, loaded, rejected, note)


def _prepare(
    con: duckdb.DuckDBPyConnection, path: Path, layout: ExportLayout, spec: FileSpec, workdir: Path
) -> _Prepared:
    file_format = spec.format_for(path.name)
    if file_format == "csv":
        header = readers.read_csv_header(path, spec.dialect)
        match = _checked_header(path, header, spec, layout)
        staged = readers.stage_csv(con, path, spec.dialect, header, _display_names(match), workdir)
    elif file_format == "xlsx":
        sheet = excel.read_sheet(path, spec)
        match = _checked_header(path, sheet.header, spec, layout)
        types: list[str | None] = [None] * len(sheet.header)
        for column, position in match.assigned.items():
            types[position] = layout.column(column).type
        staged = excel.stage_sheet(con, sheet, types, spec.dialect)
    else:
        staged = json_records.stage_json_records(con, path, spec, workdir)
        match = _checked_header(path, staged.header, spec, layout)
    typed_input = _typed_input(layout, spec, match)
    return _Prepared(typed_input, staged, typed.parse_rows(con, typed_input))


def _checked_header(path: Path, header: list[str], spec: FileSpec, layout: ExportLayout) -> HeaderMatch:
    match = match_header(header, spec, layout, spec.format_for(path.name))
    if not match.fits:
        raise HeaderMismatchError(match.problem(path.name))
    return match


def _display_names(match: HeaderMatch) -> list[str]:
    """Per header position, the name a ledger entry uses: the raw column, else the header text."""
    names = list(match.header)
    for column, position in match.assigned.items():
        names[position] = column
    return names


def _typed_input(layout: ExportLayout, spec: FileSpec, match: HeaderMatch) -> typed.TypedInput:
    return typed.TypedInput(
        layout=layout,
        dialect=spec.dialect,
        sources=tuple(
            typed.ColumnSource(layout.column(name), match.assigned.get(name)) for name in layout.column_names
        ),
        extras=tuple(match.extras),
        unnamed=tuple(match.unnamed),
        header=tuple(match.header),
        width=len(match.header),
    )


def _positional_input(layout: ExportLayout, spec: FileSpec) -> typed.TypedInput:
    """Rows staged in the layout's own column order (UBL)."""
    return typed.TypedInput(
        layout=layout,
        dialect=spec.dialect,
        sources=tuple(typed.ColumnSource(layout.column(name), i) for i, name in enumerate(layout.column_names)),
        extras=(),
        unnamed=(),
        header=(),
        width=len(layout.columns),
    )


@dataclass
class _UblFile:
    path: Path
    digest: str
    export_date: str
    spec: FileSpec
    document: ubl.UblDocument
    problems: list[ubl.Problem]


class _UblBatch:
    """The UBL files of one dialect loaded together (by their index among the files asked for), and the CSV
    records of their documents and lines, written as each document is added, so that a batch holds no
    parsed document in memory."""

    def __init__(self, folder: Path, layouts: tuple[ExportLayout, ExportLayout]) -> None:
        folder.mkdir()
        self.files: dict[int, _UblFile] = {}
        self.documents, self.lines = folder / "documents.csv", folder / "lines.csv"
        self._columns = [list(layout.column_names) for layout in layouts]
        self._lines_before = 0
        self.documents.touch()
        self.lines.touch()

    def add(self, index: int, file: _UblFile) -> None:
        """The file, and the records of its document unless it has none (not a UBL document)."""
        self.files[index] = file
        document = file.document
        if document.root is None:
            return
        documents_columns, lines_columns = self._columns
        with self.documents.open("a", encoding="utf-8") as handle:
            handle.write(document.row_csv(documents_columns, index))
        with self.lines.open("a", encoding="utf-8") as handle:
            handle.write(document.lines_csv(lines_columns, index, self._lines_before))
        self._lines_before += document.line_count
        document.root = None


def load_ubl_documents(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[Path, str]],
    layout: ExportLayout,
    load_id: str,
    quarantine_dir: Path,
    registry: Registry | None = None,
    loaded: set[str] | None = None,
) -> list[FileLoadResult]:
    """Load UBL files (path, export date), one document each, together: the statements that stage, type
    and insert them run once for all of them, not once per file. Returns one result per file, in order.

    A document still loads whole, with its lines, or is one rejected row with a ledger entry per problem;
    a file that is not a UBL document is quarantined, as `load_export_file` does. The writes of each
    `UBL_BATCH` documents are one transaction."""
    registry = registry or registry_for()
    loaded = loaded_hashes(con) if loaded is None else loaded
    if len(files) > UBL_BATCH:
        return [
            result
            for start in range(0, len(files), UBL_BATCH)
            for result in load_ubl_documents(
                con, files[start : start + UBL_BATCH], layout, load_id, quarantine_dir, registry, loaded
            )
        ]
    layouts = (layout, _ubl_lines_layout(layout, registry))
    results: dict[int, FileLoadResult] = {}
    # One batch per dialect (a mapping may read some UBL files with another).
    batches: dict[Dialect, _UblBatch] = {}
    repeats: dict[int, tuple[Path, str]] = {}  # a file whose content came earlier in this batch
    digests: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="dealledger-ingest-") as workdir:
        for index, (path, export_date) in enumerate(files):
            digest = content_hash(path)
            if digest in loaded:
                results[index] = FileLoadResult(path.name, digest, "skipped")
                continue
            if digest in digests:
                repeats[index] = (path, export_date)
                continue
            spec = _spec(path, layout, registry)
            try:
                document = ubl.read_document(path)
            except QuarantineError as error:
                results[index] = _quarantined(
                    con, path, digest, error, layout, export_date, load_id, quarantine_dir, spec
                )
                continue
            digests.add(digest)
            if spec.dialect not in batches:
                batches[spec.dialect] = _UblBatch(Path(workdir) / str(len(batches)), layouts)
            problems = list(document.problems)
            if document.root is not None:
                for column in (c for c in layout.column_specs if c.required):
                    if document.fields.get(column.name) is None:
                        element = document.paths.get(column.name, column.name)
                        problems.append(ubl.Problem(element, "", f"required element {element} is missing or empty"))
            batches[spec.dialect].add(index, _UblFile(path, digest, export_date, spec, document, problems))
        for batch in batches.values():
            results |= _load_ubl_batch(con, batch, layouts, load_id, quarantine_dir, registry, loaded)
    # A repeat is skipped when its first copy loaded; else (DuckDB could not stage it) it is quarantined too.
    for index, (path, export_date) in repeats.items():
        results[index] = load_ubl_documents(
            con, [(path, export_date)], layout, load_id, quarantine_dir, registry, loaded
        )[0]
    return [results[index] for index in range(len(files))]


def _load_ubl_batch(
    con: duckdb.DuckDBPyConnection,
    batch: _UblBatch,
    layouts: tuple[ExportLayout, ExportLayout],
    load_id: str,
    quarantine_dir: Path,
    registry: Registry,
    loaded: set[str],
) -> dict[int, FileLoadResult]:
    """The documents of `batch` (no file twice, one dialect), with their lines (`layouts`: documents, lines)."""
    layout, lines_layout = layouts
    files = batch.files
    spec = next(iter(files.values())).spec
    documents, lines = _positional_input(layout, spec), _positional_input(lines_layout, spec)
    try:
        try:
            _stage_ubl(con, batch, documents, lines)
        except duckdb.Error as error:  # before any write: a file DuckDB cannot read stops that file only
            if len(files) == 1:
                (index, file), reason = next(iter(files.items())), f"cannot be read: {first_line(error)}"
                path, digest, date, spec = file.path, file.digest, file.export_date, file.spec
                failure = QuarantineError(reason)
                return {index: _quarantined(con, path, digest, failure, layout, date, load_id, quarantine_dir, spec)}
            _clear_temp(con)
            return {
                index: load_ubl_documents(
                    con, [(file.path, file.export_date)], layout, load_id, quarantine_dir, registry, loaded
                )[0]
                for index, file in files.items()
            }
        results = _write_ubl(con, files, documents, lines, load_id)
    finally:
        _clear_temp(con)
    loaded.update(file.digest for file in files.values())
    return results


def _stage_ubl(
    con: duckdb.DuckDBPyConnection,
    batch: _UblBatch,
    documents: typed.TypedInput,
    lines: typed.TypedInput,
) -> None:
    """The documents that parsed, and their lines, as typed rows (`_dl_doc_parsed`, `_dl_line_parsed`);
    every value that does not parse becomes a problem of its document."""
    readers.stage_records(con, list(documents.layout.column_names), batch.documents, trim=False)
    typed.parse_rows(con, documents, "_dl_doc", materialize=True, carried=("_document",))
    readers.stage_records(con, list(lines.layout.column_names), batch.lines, trim=True)
    typed.parse_rows(con, lines, "_dl_line", materialize=True, carried=("_document",))
    for prefix in ("_dl_doc", "_dl_line"):
        failures = con.execute(
            f"""
            select p._document, p._row_number, f.column_name, f.reason, f.value
            from {prefix}_failures as f join {prefix}_parsed as p on p._line = f.line
            order by p._document, p._row_number, f.column_name
            """
        ).fetchall()
        for index, row_number, column, reason, value in failures:
            document = batch.files[index].document
            element = (
                document.paths.get(column, column) if prefix == "_dl_doc" else document.line_path(row_number, column)
            )
            batch.files[index].problems.append(ubl.Problem(element, value or "", f"{element}: {reason}"))


def _write_ubl(
    con: duckdb.DuckDBPyConnection,
    batch: dict[int, _UblFile],
    documents: typed.TypedInput,
    lines: typed.TypedInput,
    load_id: str,
) -> dict[int, FileLoadResult]:
    """Each document without a problem into the raw tables, with its lines; each other one as one rejected
    row; every file in the ledger. One transaction."""
    clean = {index: file for index, file in batch.items() if not file.problems}
    files = ", ".join(
        f"({index}, {sql_text(load_id)}, {sql_text(file.path.name)}, {sql_text(file.digest)}, "
        f"{sql_text(file.export_date)}, {sql_text(file.spec.scope)})"
        for index, file in clean.items()
    )
    con.execute(
        "create or replace temp table _dl_ubl_files (_document bigint, load_id varchar, source_file varchar, "
        "content_hash varchar, export_date varchar, export_scope varchar)"
    )
    if files:
        con.execute(f"insert into _dl_ubl_files values {files}")
    rejects = [
        [load_id, file.path.name, file.digest, problem.column_name, problem.raw[:RAW_LINE_LIMIT], problem.reason]
        for file in batch.values()
        for problem in file.problems
    ]
    results = {
        index: FileLoadResult(
            file.path.name, file.digest, "loaded", 1, 0 if file.problems else 1, 1 if file.problems else 0
        )
        for index, file in batch.items()
    }
    con.execute("begin transaction")
    try:
        if rejects:
            con.executemany(
                "insert into raw_meta.rejects (load_id, source_file, content_hash, line, column_name, raw_line, "
                "reason) values (?, ?, ?, 1, ?, ?, ?)",
                rejects,
            )
        # Every document that reached here parsed cleanly: no anti join with the failures.
        inserted = typed.insert_rows(con, documents, "_dl_ubl_files", "_dl_doc", has_failures=False)
        typed.insert_rows(con, lines, "_dl_ubl_files", "_dl_line", has_failures=False)
        if inserted != len(clean):  # the invariant every file must satisfy: 1 read = loaded + rejected
            raise RuntimeError(f"{len(clean)} UBL documents without a problem, {inserted} inserted")
        entries = [_LedgerEntry(results[i], documents.layout, file.export_date, file.spec) for i, file in batch.items()]
        _record_files(con, entries, load_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results


def _ubl_lines_layout(layout: ExportLayout, registry: Registry) -> ExportLayout:
    """The layout the lines of `layout`'s documents load into, both checked against what ubl.py extracts."""
    lines_layout = next(candidate for candidate in registry.layouts if candidate.loaded_with == layout.kind)
    for table, expected in ((layout, ubl.DOCUMENT_COLUMNS), (lines_layout, ubl.LINE_COLUMNS)):
        if set(table.column_names) != set(expected):
            raise LayoutConfigError(
                f"{table.raw_table}: the columns in ubl.yml must be the fields ubl.py extracts; "
                f"missing {sorted(set(expected) - set(table.column_names))}, "
                f"unknown {sorted(set(table.column_names) - set(expected))}"
            )
    return lines_layout


__all__ = [
    "FileLoadResult",
    "HeaderMismatchError",
    "content_hash",
    "ensure_raw_tables",
    "is_ubl_file",
    "load_export_file",
    "load_ubl_documents",
    "loaded_hashes",
]
