"""Reading an export's header and rows into DuckDB, as text, with every row that cannot be split recorded.

Every format ends in the same two temp tables that the typed pass (typed.py) reads:
- `_dl_read`: one row per record that could be split, all varchar (`c0` .. `cN` in file order), with
  `_line` (where to find it: CSV line / sheet row / record number) and `_row_number` (data row, 1-based);
- `_dl_structural`: one row per record that could not be split: `line`, `column_name`, `raw_line`, `reason`.

CSV is read by DuckDB itself with the dialect pinned and auto-detection off (`store_rejects` keeps the
rows it cannot split); a Windows-1252 / Latin-1 / UTF-16 file is transcoded to UTF-8 first, streaming.
JSON records (json_records.py) are read by DuckDB too, Excel sheets (excel.py) by fastexcel into Arrow
columns that DuckDB writes in the dialect. A UBL document (ubl.py, one invoice per file) arrives as CSV
records, its own row from Python and its lines from an XSLT stylesheet (`stage_records`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dealledger.ingest.spec import Dialect

HEADER_PROBE_BYTES = 1 << 20
_TRANSCODE_CHUNK = 1 << 22


class QuarantineError(ValueError):
    """The file as a whole cannot be read as its layout says: it is moved aside with this reason."""


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def first_line(error: Exception) -> str:
    """An error's first line, for a quarantine reason (DuckDB's messages run on with hints)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _c1_passthrough(error: UnicodeDecodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; read them as the C1 controls they are in Latin-1 (like
    browsers do), so no byte is lost or replaced."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("dealledger_c1", _c1_passthrough)


def _decoder(encoding: str) -> codecs.IncrementalDecoder:
    if encoding == "cp1252":
        return codecs.getincrementaldecoder("cp1252")(errors="dealledger_c1")
    return codecs.getincrementaldecoder(encoding)(errors="strict")


def needs_transcoding(dialect: Dialect) -> bool:
    return dialect.encoding not in ("utf-8", "utf-8-sig")


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Stream `source` into `target` as UTF-8, whole chunks at a time (never per row)."""
    decoder = _decoder(encoding)
    try:
        with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as writer:
            for chunk in iter(lambda: reader.read(_TRANSCODE_CHUNK), b""):
                writer.write(decoder.decode(chunk))
            writer.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as error:
        raise QuarantineError(
            f"{source.name}: byte {error.start} is not valid {encoding} ({error.reason}); "
            "the layout's encoding does not fit this file"
        ) from None


def normalise_line_endings(source: Path, target: Path) -> None:
    """CRLF and lone CR to LF, streaming (only used when a file mixes line endings)."""
    carry = b""
    with source.open("rb") as reader, target.open("wb") as writer:
        for chunk in iter(lambda: reader.read(_TRANSCODE_CHUNK), b""):
            chunk = carry + chunk
            carry = b""
            if chunk.endswith(b"\r"):
                chunk, carry = chunk[:-1], b"\r"
            writer.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        writer.write(carry.replace(b"\r", b"\n"))


_BLANK_LINE = re.compile(rb"\n(?=\r?\n)")


@dataclass(frozen=True)
class LineScan:
    blank_lines: bool  # an empty line follows some line
    newlines: int  # number of LF bytes
    final_newline: bool  # the last byte is a LF


def scan_lines(path: Path) -> LineScan:
    """Blank lines and line count of a file (chunked, C-speed byte operations, no loop over rows)."""
    tail = b""
    blank = False
    newlines = 0
    with path.open("rb") as reader:
        for chunk in iter(lambda: reader.read(_TRANSCODE_CHUNK), b""):
            newlines += chunk.count(b"\n")
            if not blank:
                seam = tail + chunk[:2]
                blank = b"\n\n" in chunk or b"\n\r\n" in chunk or b"\n\n" in seam or b"\n\r\n" in seam
            tail = (tail + chunk[-2:])[-2:]
    return LineScan(blank, newlines, tail.endswith(b"\n"))


def fill_blank_lines(source: Path, target: Path, dialect: Dialect, width: int) -> None:
    """Write every empty line outside a quoted value as an empty record (`,,,`).

    DuckDB skips empty lines but still counts them in the line numbers it reports for the rows it
    rejects; as empty records they are counted for the rows it keeps too, so every line stays exact.
    Empty records are not rows: the reader drops them (an empty line or a line of delimiters only).
    """
    filler = (dialect.delimiter * (width - 1)).encode("utf-8")
    quote = dialect.quote.encode("utf-8")
    inside = False
    carry = b""
    with source.open("rb") as reader, target.open("wb") as writer:
        while True:
            chunk = reader.read(_TRANSCODE_CHUNK)
            data = carry + chunk
            final = not chunk
            cut = len(data) if final else max(len(data) - 2, 0)  # a match looks two bytes ahead
            position = 0
            pieces = []
            for match in _BLANK_LINE.finditer(data):
                if match.start() >= cut:
                    break
                end = match.start() + 1
                inside ^= data.count(quote, position, end) % 2 == 1
                pieces.append(data[position:end])
                if not inside:
                    pieces.append(filler)
                position = end
            inside ^= data.count(quote, position, cut) % 2 == 1
            pieces.append(data[position:cut])
            writer.write(b"".join(pieces))
            carry = data[cut:]
            if final:
                break


def _decode_probe(data: bytes, encoding: str) -> str:
    if encoding in ("utf-8", "utf-8-sig"):
        return data.decode("utf-8-sig", errors="replace")
    if encoding == "utf-16":
        # A probe may end in the middle of a character.
        return data[: len(data) - len(data) % 2].decode("utf-16", errors="replace")
    return data.decode(encoding, errors="dealledger_c1" if encoding == "cp1252" else "replace")


def read_csv_header(path: Path, dialect: Dialect) -> list[str]:
    """The first record of the file, split with the pinned dialect."""
    with path.open("rb") as handle:
        data = handle.read(HEADER_PROBE_BYTES)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise QuarantineError(f"{path.name}: the file is empty (no header line)")
    text = _decode_probe(data, dialect.encoding)
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""),
            delimiter=dialect.delimiter,
            quotechar=dialect.quote,
            doublequote=dialect.escape == dialect.quote,
            escapechar=None if dialect.escape == dialect.quote else dialect.escape,
            strict=False,
        )
        header = next(reader, [])
    except csv.Error as error:
        raise QuarantineError(f"{path.name}, line 1: the header cannot be read: {error}") from None
    return [cell.strip().lstrip("\ufeff").strip() for cell in header]


@dataclass
class Staged:
    """What a reader put in `_dl_read` / `_dl_structural`, with their row counts."""

    header: list[str]
    rows: int = 0  # in _dl_read
    rejected: int = 0  # in _dl_structural
    notes: list[str] = field(default_factory=list)


# The temp tables of the reading stage.
STAGE_TABLES = (
    "_dl_physical",
    "_dl_read",
    "_dl_structural",
    "_dl_offsets",
    "_dl_rejects",
    "_dl_rejects_scan",
    "_dl_sheet",  # excel.py
    "_dl_json_records",  # json_records.py
    "_dl_json_checked",
    "_dl_ubl_files",  # loader.load_ubl_documents
)


def drop_temp(con: duckdb.DuckDBPyConnection, tables: Iterable[str] = (), views: Iterable[str] = ()) -> None:
    """Drop temp tables and views, where they exist, in one call.

    The caller names each one's kind: asking the catalog which objects exist cost more than the whole
    read of a small file."""
    statements = [f"drop table if exists temp.{name}" for name in tables]
    statements += [f"drop view if exists temp.{name}" for name in views]
    if statements:
        con.execute("; ".join(statements))


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    dialect: Dialect,
    header: list[str],
    display_names: list[str],
    workdir: Path,
) -> Staged:
    """DuckDB reads the file with every column as text; rows it cannot split go to `_dl_structural`."""
    staged = Staged(header)
    source = path
    if needs_transcoding(dialect):
        source = workdir / "transcoded.csv"
        transcode_to_utf8(path, source, dialect.encoding)
        staged.notes.append(f"transcoded from {dialect.encoding}")
    scan = scan_lines(source)
    if len(header) > 1 and scan.blank_lines:
        filled = workdir / "filled.csv"
        fill_blank_lines(source, filled, dialect, len(header))
        source = filled
    try:
        staged.rows = _read_csv(con, source, dialect, len(header))
    except duckdb.InvalidInputException as error:
        # Mixed CRLF / LF line endings stop DuckDB's strict parser outright (not per row): normalise them
        # and read again; anything else that stops it is a file we cannot read as this layout says.
        normalised = workdir / "normalised.csv"
        normalise_line_endings(source, normalised)
        try:
            staged.rows = _read_csv(con, normalised, dialect, len(header))
        except duckdb.Error:
            first = first_line(error)
            raise QuarantineError(
                f"{path.name}: DuckDB cannot read the file with the pinned dialect: {first}"
            ) from None
        staged.notes.append("mixed line endings normalised to LF")
        scan = scan_lines(normalised)
    except duckdb.Error as error:
        first = first_line(error)
        raise QuarantineError(f"{path.name}: DuckDB cannot read the file with the pinned dialect: {first}") from None
    (rejected_records,) = con.execute("select count(*) from temp._dl_rejects").fetchone()
    if rejected_records:
        staged.rejected = _structural_rejects(con, display_names)
        _lines_between_rejects(con)
    else:  # most files: the statements over DuckDB's rejects would have nothing to do
        empty_structural(con)
    _physical_lines(con, scan, len(header), staged)
    drop_temp(con, ("_dl_offsets", "_dl_rejects", "_dl_rejects_scan"))
    return staged


def empty_structural(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace temp table _dl_structural "
        "(line bigint, column_name varchar, raw_line varchar, reason varchar)"
    )


def _structural_rejects(con: duckdb.DuckDBPyConnection, display_names: list[str]) -> int:
    """`_dl_structural` from DuckDB's rejects: one row per line, columns by display name; returns its rows."""
    (rows,) = con.execute(
        """
        create or replace temp table _dl_structural as
        with reasons as (
            -- one message per kind of error (DuckDB repeats "missing columns" once per missing column)
            select
                line,
                string_agg(lower(error_type::varchar) || ': ' || message, '; ' order by error_type::varchar)
                    as reason
            from (
                select line, error_type, arg_min(error_message, coalesce(column_idx, 0)) as message
                from temp._dl_rejects
                group by line, error_type
            )
            group by line
        )
        select
            r.line,
            coalesce(
                string_agg(distinct coalesce(n.display, r.column_name), ', '
                           order by coalesce(n.display, r.column_name))
                    filter (where coalesce(n.display, r.column_name) is not null),
                ''
            ) as column_name,
            any_value(r.csv_line) as raw_line,
            any_value(s.reason) as reason
        from temp._dl_rejects as r
        left join (
            select unnest(?::varchar[]) as internal, unnest(?::varchar[]) as display
        ) as n on n.internal = r.column_name
        left join reasons as s on s.line = r.line
        group by r.line
        """,
        [[f"c{i}" for i in range(len(display_names))], display_names],
    ).fetchone()
    return rows


def _lines_between_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB numbers the lines of the rows it rejects (a record whose quoted value spans several physical
    lines counts as one); the rows it keeps are numbered in between, so every record gets one line."""
    con.execute(
        """
        create or replace temp table _dl_offsets as
        select loaded_before, max(rejected_so_far) as rejected_so_far
        from (
            select
                line - 1 - row_number() over (order by line) as loaded_before,
                row_number() over (order by line) as rejected_so_far
            from _dl_structural
        )
        group by loaded_before
        """
    )
    con.execute(
        """
        update _dl_read
        set _line = _dl_read._k + 1 + x.rejected_so_far, _row_number = _dl_read._k + x.rejected_so_far
        from (
            select t._k, o.rejected_so_far
            from _dl_read as t
            asof join _dl_offsets as o on t._k > o.loaded_before
        ) as x
        where x._k = _dl_read._k
        """
    )


def _physical_lines(con: duckdb.DuckDBPyConnection, scan: LineScan, width: int, staged: Staged) -> None:
    """Turn DuckDB's line numbers (a record spanning several lines counts one) into physical lines.

    Only needed, and only done, when a quoted value holds a line break: then each record's line moves
    down by the line breaks inside the records before it (one window over the file, in SQL).
    """

    def no_break_inside(records: int) -> bool:
        return scan.newlines <= (records + 1 if scan.final_newline else records)

    # DuckDB kept at least the rows in _dl_read (it may have kept empty records too, dropped since): when
    # that many records account for every line break, the usual case, the exact count is not needed.
    if no_break_inside(staged.rows + staged.rejected):
        return
    (kept,) = con.execute("select coalesce(max(_k), 0) from _dl_read").fetchone()
    if no_break_inside(kept + staged.rejected):
        return
    breaks = " + ".join(f"coalesce(length(c{i}) - length(replace(c{i}, chr(10), '')), 0)" for i in range(width)) or "0"
    con.execute(
        f"""
        create or replace temp table _dl_physical as
        with records as (
            select _line as line, {breaks} as breaks from _dl_read
            union all
            select line, length(raw_line) - length(replace(raw_line, chr(10), '')) from _dl_structural
        )
        select
            line,
            line + coalesce(sum(breaks) over (order by line rows between unbounded preceding and 1 preceding), 0)
                as physical
        from records
        """
    )
    con.execute("update _dl_read set _line = p.physical from _dl_physical as p where p.line = _dl_read._line")
    con.execute("update _dl_structural set line = p.physical from _dl_physical as p where p.line = _dl_structural.line")
    drop_temp(con, ("_dl_physical",))


def _read_csv(con: duckdb.DuckDBPyConnection, source: Path, dialect: Dialect, width: int) -> int:
    """`_dl_read`: `_k` (the record's number among those DuckDB kept), `_line`, `_row_number` (correct
    until rows were rejected before it: stage_csv moves them down), `c0` ..; empty records dropped.
    Returns its row count."""
    # DuckDB refuses rejects tables whose names are taken.
    drop_temp(con, ("_dl_rejects", "_dl_rejects_scan", "_dl_read"))
    columns = "{" + ", ".join(f"'c{i}': 'varchar'" for i in range(width)) + "}"
    fields = ", ".join(f"c{i}" for i in range(width))
    # A record whose every field is empty (a blank line, a line of delimiters only) is no row.
    all_empty = " and ".join(f"c{i} is null" for i in range(width)) or "false"
    (rows,) = con.execute(
        f"""
        create or replace temp table _dl_read as
        select _k, _k + 1 as _line, _k as _row_number, {fields}
        from (
            select
                row_number() over () as _k,
                *
            from read_csv(
                {sql_text(str(source))},
                header = true,
                delim = {sql_text(dialect.delimiter)},
                quote = {sql_text(dialect.quote)},
                escape = {sql_text(dialect.escape)},
                encoding = 'utf-8',
                auto_detect = false,
                strict_mode = true,
                null_padding = false,
                columns = {columns},
                store_rejects = true,
                rejects_scan = '_dl_rejects_scan',
                rejects_table = '_dl_rejects'
            )
        )
        where not ({all_empty})
        """
    ).fetchone()
    return rows


# ------------------------------------------------- UBL: rows written as CSV records by ubl.py (one document)

# DuckDB's default longest CSV record: a record may be longer here (one value of a UBL document can be).
_DUCKDB_MAX_LINE_SIZE = 2_097_152
# What Python's str.strip() removes, as ubl.py strips a document's own fields.
_PYTHON_WHITESPACE = "".join(character for character in map(chr, range(0x3001)) if character.isspace())


def stage_records(con: duckdb.DuckDBPyConnection, header: list[str], records: Path, *, trim: bool) -> Staged:
    """A UTF-8 file of CSV records (`_document`, `_line`, `_row_number`, then one field per header column)
    of UBL documents staged together into `_dl_read`, records ending at LF (a CR is text: DuckDB would
    take one in the first record for the line ending). `trim`: the fields hold text as the XML had it (a
    document's lines), so white space around a value goes, as str.strip() takes it, and an empty value is
    null (DuckDB plans each expression: records that need none skip them)."""
    width = len(header)
    columns = "{'_document': 'bigint', '_line': 'bigint', '_row_number': 'bigint'"
    columns += "".join(f", 'c{i}': 'varchar'" for i in range(width))
    whitespace = sql_text(_PYTHON_WHITESPACE)
    fields = "".join(f", nullif(trim(c{i}, {whitespace}), '') as c{i}" if trim else f", c{i}" for i in range(width))
    (rows,) = con.execute(
        f"""
        create or replace temp table _dl_read as
        select _document, _line, _row_number{fields} from read_csv(
            {sql_text(str(records))}, header = false, new_line = '\\n', delim = ',', quote = '"', escape = '"',
            auto_detect = false, strict_mode = true, columns = {columns}}},
            max_line_size = {max(_DUCKDB_MAX_LINE_SIZE, records.stat().st_size)}
        )
        """
    ).fetchone()
    empty_structural(con)
    return Staged(header, rows)
