"""Reading an export's header and rows into DuckDB, as text, with every row that cannot be split recorded.

Every format ends in the same two temp tables that the typed pass (typed.py) reads:
- `_dl_read`: one row per record that could be split, all varchar (`c0` .. `cN` in file order), with
  `_line` (where to find it: CSV line / sheet row / record number) and `_row_number` (data row, 1-based);
- `_dl_structural`: one row per record that could not be split: `line`, `column_name`, `raw_line`, `reason`.

CSV is read by DuckDB itself with the dialect pinned and auto-detection off (`store_rejects` keeps the
rows it cannot split); a Windows-1252 / Latin-1 / UTF-16 file is transcoded to UTF-8 first, streaming.
JSON records are read by DuckDB too: the document as one JSON value, its records list unnested, the
fields from the records' merged structure, each record split by `json_transform`. Excel sheets are read
by fastexcel (Rust) into Arrow columns of text, and DuckDB writes each cell as a CSV would hold it. UBL
documents are built in Python (one invoice per file) and go through a temporary UTF-8 CSV.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dealledger.ingest.spec import Dialect, FileSpec

HEADER_PROBE_BYTES = 1 << 20
_TRANSCODE_CHUNK = 1 << 22


class QuarantineError(ValueError):
    """The file as a whole cannot be read as its layout says: it is moved aside with this reason."""


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise QuarantineError(
                f"{path.name}: DuckDB cannot read the file with the pinned dialect: {first}"
            ) from None
        staged.notes.append("mixed line endings normalised to LF")
        scan = scan_lines(normalised)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QuarantineError(f"{path.name}: DuckDB cannot read the file with the pinned dialect: {first}") from None
    (rejected_records,) = con.execute("select count(*) from temp._dl_rejects").fetchone()
    if rejected_records:
        staged.rejected = _structural_rejects(con, display_names)
        _lines_between_rejects(con)
    else:  # most files: the statements over DuckDB's rejects would have nothing to do
        _empty_structural(con)
    _physical_lines(con, scan, len(header), staged)
    drop_temp(con, ("_dl_offsets", "_dl_rejects", "_dl_rejects_scan"))
    return staged


def _empty_structural(con: duckdb.DuckDBPyConnection) -> None:
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


# ---------------------------------------------------------------- UBL: rows built in Python (ubl.py)


@dataclass
class Record:
    line: int
    row_number: int
    values: list[str | None]


def stage_records(
    con: duckdb.DuckDBPyConnection, header: list[str], records: Iterable[Record], workdir: Path, name: str = "records"
) -> Staged:
    """Rows built in Python (a UBL document, its lines) through a temporary UTF-8 CSV into `_dl_read`."""
    target = workdir / f"{name}.csv"
    width = len(header)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["_line", "_row_number", *(f"c{i}" for i in range(width))])
        writer.writerows([record.line, record.row_number, *record.values] for record in records)
    columns = "{'_line': 'bigint', '_row_number': 'bigint'" + "".join(f", 'c{i}': 'varchar'" for i in range(width))
    (rows,) = con.execute(
        f"""
        create or replace temp table _dl_read as
        select * from read_csv(
            {sql_text(str(target))}, header = true, delim = ',', quote = '"', escape = '"',
            auto_detect = false, strict_mode = true, columns = {columns}}}
        )
        """
    ).fetchone()
    _empty_structural(con)
    return Staged(header, rows)


# ---------------------------------------------------------------- Excel: fastexcel reads, DuckDB renders

# fastexcel writes every cell as text. A date-time cell's text always has this shape and a number's never
# has; a text cell that has it is null where the column is read again as date-times.
_SHEET_DATETIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?"
_SHEET_DECIMAL = r"-?\d+\.\d+"
_SHEET_BOOLEANS = ("true", "false")
_BLANK = r"\s*"
_EXCEL_DAY_ZERO = "1899-12-31"  # a time of day is a date-time on Excel's day zero


def _strftime_format(formats: tuple[str, ...]) -> str:
    return formats[0].replace("%z", "").replace("Z", "")


@dataclass
class Sheet:
    """An Excel sheet as fastexcel reads it: `text` holds every cell as text (`t0` .. `tN`, from the
    first column that holds a value) and `_row`, its sheet row (1-based, empty rows included)."""

    reader: Any  # fastexcel.ExcelReader: the typed columns are read from it when needed
    sheet: int | str
    text: Any  # pyarrow.Table
    header: list[str]
    header_row: int  # 1-based

    @property
    def columns(self) -> int:
        """The number of cell columns in `text`."""
        return self.text.num_columns - 1


def _load_sheet(
    reader: Any, sheet: int | str, dtype: str, columns: list[int] | None = None, rows: int | None = None
) -> Any:
    """One read of the sheet (its first `rows` rows) with every (or the given) column as `dtype`, from
    the sheet's first row, as a pyarrow table. A cell that is not of the type is null (a text in a
    boolean column)."""
    import pyarrow as pa

    # Columns count from the first that holds a value; by index, fastexcel would count from column A.
    names = None if columns is None else [f"__UNNAMED__{position}" for position in columns]
    batch = reader.load_sheet(
        sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes=dtype, use_columns=names, eager=True
    )
    return pa.Table.from_batches([batch])


def read_sheet(path: Path, spec: FileSpec, header_only: bool = False) -> Sheet:
    """The sheet of an Excel file, every cell as text (`header_only`: its rows down to the header), and
    its header row (QuarantineError if there is none)."""
    import fastexcel
    import numpy as np
    import pyarrow as pa

    try:
        reader = fastexcel.read_excel(path)
        names = reader.sheet_names
        if isinstance(spec.sheet, int) and spec.sheet >= len(names):
            raise QuarantineError(f"{path.name}: the workbook has no sheet number {spec.sheet} ({names})")
        if isinstance(spec.sheet, str) and spec.sheet not in names:
            raise QuarantineError(f"{path.name}: the workbook has no sheet {spec.sheet!r} (sheets: {names})")
        text = _load_sheet(reader, spec.sheet, "string", rows=spec.header_row if header_only else None)
    except QuarantineError:
        raise
    except Exception as error:  # fastexcel raises its own error types for broken zip/xml
        raise QuarantineError(f"{path.name}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
    header_index = spec.header_row - 1
    cells = text.slice(header_index, 1).to_pylist()
    header = [(cell or "").strip() for cell in cells[0].values()] if cells else []
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise QuarantineError(f"{path.name}: the sheet is empty (no header in row {spec.header_row})")
    text = text.rename_columns([f"t{i}" for i in range(text.num_columns)])
    text = text.append_column("_row", pa.array(np.arange(1, text.num_rows + 1)))
    return Sheet(reader, spec.sheet, text, header, spec.header_row)


def _sheet_cell(position: int, column_type: str | None, dialect: Dialect, typed: set[str]) -> str:
    """SQL for the text of cell `t{position}` in the file's dialect, as a CSV export would hold it:
    numbers with its decimal separator, booleans in its words, date-times in its first date format (in a
    date column, or at midnight in an untyped one) or timestamp format, a time of day as `HH:MM:SS`."""
    text, when_datetime, when_number = f"t{position}", f"d{position}", f"b{position}"
    date_format = sql_text(_strftime_format(dialect.date_formats))
    timestamp_format = sql_text(_strftime_format(dialect.timestamp_formats))
    branches = []
    if when_datetime in typed:
        if column_type == "date":
            as_text = f"strftime({when_datetime}, {date_format})"
        elif column_type == "timestamp":
            as_text = f"strftime({when_datetime}, {timestamp_format})"
        else:
            as_text = (
                f"if({when_datetime}::time = '00:00:00', strftime({when_datetime}, {date_format}), "
                f"strftime({when_datetime}, {timestamp_format}))"
            )
        # A number is a date-time in this read too: only a cell with a date-time's text is one.
        is_datetime = f"{when_datetime} is not null and regexp_full_match({text}, '{_SHEET_DATETIME}')"
        branches += [
            f"when {is_datetime} and {when_datetime}::date = '{_EXCEL_DAY_ZERO}' "
            f"then strftime({when_datetime}, '%H:%M:%S')",
            f"when {is_datetime} then {as_text}",
        ]
    if when_number in typed:
        true_word, false_word = (sql_text(words[0]) for words in (dialect.true_values, dialect.false_values))
        branches += [
            f"when {when_number} is not null and {text} = 'true' then {true_word}",
            f"when {when_number} is not null and {text} = 'false' then {false_word}",
            f"when {when_number} is not null then replace({text}, '.', {sql_text(dialect.decimal_separator)})",
        ]
    return f"case {' '.join(branches)} else nullif({text}, '') end" if branches else f"nullif({text}, '')"


def _typed_columns(con: duckdb.DuckDBPyConnection, sheet: Sheet, dialect: Dialect) -> tuple[list[int], list[int]]:
    """The positions of the columns to read again as date-times (a data cell has a date-time's text) and
    as booleans (a data cell has the text of a decimal number or boolean that the dialect writes
    differently)."""
    data_rows = f"filter (_row > {sheet.header_row})"
    columns = range(sheet.columns)
    differs = []
    if dialect.decimal_separator != ".":
        differs.append(f"regexp_full_match({{cell}}, '{_SHEET_DECIMAL}')")
    if (dialect.true_values[0], dialect.false_values[0]) != _SHEET_BOOLEANS:
        differs.append("{cell} in ('true', 'false')")
    checks = [f"bool_or(regexp_full_match(t{i}, '{_SHEET_DATETIME}')) {data_rows}" for i in columns]
    checks += [f"bool_or({' or '.join(differs).format(cell=f't{i}')}) {data_rows}" for i in columns if differs]
    found = con.execute(f"select {', '.join(checks)} from _dl_sheet_text").fetchone()
    datetimes = [i for i in columns if found[i]]
    numbers = [i for i in columns if differs and found[len(columns) + i]]
    return datetimes, numbers


def stage_sheet(con: duckdb.DuckDBPyConnection, sheet: Sheet, types: list[str | None], dialect: Dialect) -> Staged:
    """The data rows below the header into `_dl_read` (`_line` the sheet row), rows with a value beyond
    the header's columns into `_dl_structural`; empty rows are no records. `types` is the target type
    per header position (None: not typed).

    fastexcel reads the sheet as text first. The columns whose text could be a date-time, or a number or
    boolean the dialect writes differently, are read once more as date-times and as booleans (numbers and
    booleans are non-null there, text is null), so each cell is written from its type, as in a CSV."""
    con.register("_dl_sheet_text", sheet.text)
    datetimes, numbers = _typed_columns(con, sheet, dialect)
    con.unregister("_dl_sheet_text")
    cells = sheet.text
    for prefix, dtype, positions in (("d", "datetime", datetimes), ("b", "boolean", numbers)):
        if positions:
            typed = _load_sheet(sheet.reader, sheet.sheet, dtype, positions)
            for position, column in zip(positions, typed.columns, strict=True):
                cells = cells.append_column(f"{prefix}{position}", column)
    typed_names = {f"d{i}" for i in datetimes} | {f"b{i}" for i in numbers}
    width, columns = len(sheet.header), sheet.columns
    rendered = ", ".join(
        f"{_sheet_cell(i, types[i] if i < width else None, dialect, typed_names)} as c{i}" for i in range(columns)
    )
    blank = " and ".join(f"coalesce(regexp_full_match(c{i}, '{_BLANK}'), true)" for i in range(columns))
    beyond = " or ".join(f"not coalesce(regexp_full_match(c{i}, '{_BLANK}'), true)" for i in range(width, columns))
    beyond = beyond or "false"
    raw = ", ".join(f"coalesce(c{i}, '')" for i in range(columns))
    con.register("_dl_sheet_cells", cells)
    (rows,) = con.execute(
        f"""
        create or replace temp table _dl_sheet as
        select _row, {rendered}
        from _dl_sheet_cells where _row > {sheet.header_row};

        delete from _dl_sheet where {blank};

        create or replace temp table _dl_read as
        select _row as _line, _row - {sheet.header_row} as _row_number, {", ".join(f"c{i}" for i in range(width))}
        from _dl_sheet where not ({beyond}) order by _row
        """
    ).fetchone()
    con.unregister("_dl_sheet_cells")
    _empty_structural(con)
    (rejected,) = con.execute(
        f"""
        insert into _dl_structural
        select _row, '', concat_ws({sql_text(dialect.delimiter)}, {raw}),
            'too many columns: a value beyond the {width} columns of the header row'
        from _dl_sheet where {beyond}
        """
    ).fetchone()
    drop_temp(con, ("_dl_sheet",))
    return Staged(sheet.header, rows, rejected)


# ---------------------------------------------------------------- JSON records: DuckDB reads them

# A JSON number as the plain decimal text a cell holds: DuckDB writes a double in its shortest form, with
# an exponent when it is very large or small (1e-7) and with `.0` when it is integral (100000.0).
_JSON_NUMBER_MACROS = r"""
create or replace temp macro _dl_point_moved(digits, point) as regexp_replace(
    case
        when point <= 0 then '0.' || repeat('0', -point) || digits
        when point >= length(digits) then digits || repeat('0', point - length(digits))
        else left(digits, point) || '.' || substr(digits, point + 1)
    end, '\.0*$', '');
create or replace temp macro _dl_plain_number(number_text) as
    if(starts_with(number_text, '-'), '-', '') || _dl_point_moved(
        replace(regexp_extract(number_text, '^-?([0-9.]+)', 1), '.', ''),
        length(regexp_extract(number_text, '^-?([0-9]+)', 1))
            + coalesce(try_cast(regexp_extract(number_text, '[eE]([+-]?[0-9]+)$', 1) as integer), 0))
"""


def _json_cell(value: str, dialect: Dialect) -> str:
    """SQL for a JSON value as the text of a cell in the file's dialect, as a CSV export would hold it."""
    number = f"_dl_plain_number({value}::varchar)"
    if dialect.decimal_separator != ".":
        number = f"replace({number}, '.', {sql_text(dialect.decimal_separator)})"
    return f"""case json_type({value})
        when 'NULL' then null
        when 'VARCHAR' then nullif(json_extract_string({value}, '$'), '')
        when 'BOOLEAN' then if({value}::varchar = 'true', {sql_text(dialect.true_values[0])},
            {sql_text(dialect.false_values[0])})
        when 'DOUBLE' then {number}
        else {value}::varchar
    end"""


def _json_path(keys: Iterable[str]) -> str:
    """A JSON path to the value under these keys, each quoted (a key may hold dots, quotes, anything)."""
    quoted = (key.replace("\\", "\\\\").replace('"', '\\"') for key in keys)
    return "$" + "".join(f'."{key}"' for key in quoted)


def _json_records(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec, workdir: Path) -> None:
    """The records list of the file's one JSON document into temp `_dl_json_records` (record number,
    value), or QuarantineError.

    The document is parsed once, in memory whatever its size: about ten times the file's size at its
    peak. Only a file with no record is read a second time, to say why."""
    source = path
    if needs_transcoding(spec.dialect):
        source = workdir / "transcoded.json"
        transcode_to_utf8(path, source, spec.dialect.encoding)
    document = (
        f"read_json_objects({sql_text(str(source))}, format = 'unstructured', "
        f"maximum_object_size = {min(source.stat().st_size + 1, 2**32 - 1)})"
    )
    records_path = _json_path(spec.records_path)
    try:
        con.execute(
            f"""
            create or replace temp table _dl_json_records as
            select documents, generate_subscripts(records, 1) as record, unnest(records) as value
            from (
                select count(*) over () as documents, json_extract(json, {sql_text(records_path + "[*]")}) as records
                from {document}
            )
            """
        )
        (documents,) = con.execute("select any_value(documents) from _dl_json_records").fetchone()
        kind = "ARRAY"
        if documents is None:  # no record: say whether the file, its document or its list is empty
            (documents, kind) = con.execute(
                f"select count(*), any_value(json_type(json_extract(json, {sql_text(records_path)}))) from {document}"
            ).fetchone()
    except duckdb.OutOfMemoryException:
        raise  # a valid document too large: `_fitting_in_memory` says so
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QuarantineError(f"{path.name}: not valid JSON: {first.replace(str(source), path.name)}") from None
    if documents == 0:
        raise QuarantineError(f"{path.name}: the file is empty")
    if documents > 1:
        raise QuarantineError(f"{path.name}: not valid JSON: {documents} values where one document was expected")
    if kind is None:
        raise QuarantineError(f"{path.name}: no {'.'.join(spec.records_path)!r} list in the JSON document")
    if kind != "ARRAY":
        raise QuarantineError(f"{path.name}: {'.'.join(spec.records_path) or 'the document'} is not a list of records")


@dataclass
class JsonFields:
    """The fields of a JSON records file: nested objects flattened to dotted names, in first-seen order."""

    names: list[str]
    paths: list[tuple[str, ...]]  # the keys leading to each field
    shape: dict[str, Any]  # the records' merged structure with every field as JSON, for json_transform


def _fields_of(structure: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, kind in structure.items():
        if isinstance(kind, dict):
            yield from _fields_of(kind, (*prefix, key))
        else:
            yield (*prefix, key)


def _json_fields(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec, workdir: Path) -> JsonFields:
    """The records into temp `_dl_json_records` (record number, value) and the fields they hold.

    DuckDB merges the records' structures: a key that holds an object in every record where it is not
    null is flattened to its keys (`attributes.type`); one that holds an object in some records and a
    value in others, an array or an empty object is one field, read as JSON text. The fields come in
    first-seen order, a nested object's keys together."""
    _json_records(con, path, spec, workdir)
    (structure,) = con.execute(
        "select json_group_structure(value) from _dl_json_records where json_type(value) = 'OBJECT'"
    ).fetchone()
    paths = list(_fields_of(json.loads(structure))) if structure else []
    shape: dict[str, Any] = {}
    for keys in paths:
        level = shape
        for key in keys[:-1]:
            level = level.setdefault(key, {})
        level[keys[-1]] = "JSON"
    return JsonFields([".".join(keys) for keys in paths], paths, shape)


@contextlib.contextmanager
def _fitting_in_memory(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[None]:
    """A JSON document that DuckDB's memory limit cannot hold stops its file with a reason that says so."""
    try:
        yield
    except duckdb.OutOfMemoryException:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
        raise QuarantineError(
            f"{path.name}: the JSON document ({path.stat().st_size / 1e6:,.0f} MB) does not fit in DuckDB's memory "
            f"limit ({limit}): reading one takes about ten times its size; split the export or raise "
            "DEALLEDGER_DUCKDB_MEMORY_LIMIT"
        ) from None


def read_json_header(path: Path, spec: FileSpec) -> list[str]:
    """The field names of a JSON records file (see `_json_fields`), read in a DuckDB of its own."""
    with (
        tempfile.TemporaryDirectory(prefix="dealledger-json-") as workdir,
        duckdb.connect() as con,
        _fitting_in_memory(con, path),
    ):
        return _json_fields(con, path, spec, Path(workdir)).names


def _repeated_key(fields: JsonFields) -> str:
    """SQL for the dotted name of the first key given twice in one object of a record, else null: which
    of its values is meant is anyone's guess, so the record is rejected."""
    objects = {keys[:depth] for keys in fields.paths for depth in range(len(keys))}
    checks = []
    for keys in sorted(objects, key=len):
        path = sql_text(_json_path(keys))
        prefix = sql_text("".join(f"{key}." for key in keys))
        checks.append(
            f"{prefix} || list_filter(json_keys(value, {path}), "
            f"(key, i) -> list_position(json_keys(value, {path}), key) < i)[1]"
        )
    return f"coalesce({', '.join(checks)})" if checks else "null"


def stage_json_records(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec, workdir: Path) -> Staged:
    """A JSON records file into `_dl_read` (one row per object, `_line` its record number) and its records
    that are no object, or repeat a key, into `_dl_structural`."""
    with _fitting_in_memory(con, path):
        fields = _json_fields(con, path, spec, workdir)
        con.execute(_JSON_NUMBER_MACROS)
        cells = "".join(
            f", {_json_cell(_struct_path('fields', keys), spec.dialect)} as c{i}" for i, keys in enumerate(fields.paths)
        )
        (rows,) = con.execute(
            f"""
            create or replace temp table _dl_json_checked as
            select record, value, case
                when json_type(value) <> 'OBJECT' then 'record is not a JSON object'
                else 'key ' || {_repeated_key(fields)} || ' appears twice in the record'
            end as problem
            from _dl_json_records;

            create or replace temp table _dl_read as
            select record as _line, record as _row_number{cells}
            from (
                select record, json_transform(value, {sql_text(json.dumps(fields.shape))}) as fields
                from _dl_json_checked where problem is null
            )
            order by record
            """
        ).fetchone()
        _empty_structural(con)
        (rejected,) = con.execute(
            """
            insert into _dl_structural
            select record, '', left(value::varchar, 10000), problem from _dl_json_checked where problem is not null
            """
        ).fetchone()
        drop_temp(con, ("_dl_json_records", "_dl_json_checked"))
        return Staged(fields.names, rows, rejected)


def _struct_path(column: str, keys: tuple[str, ...]) -> str:
    expression = column
    for key in keys:
        expression = f"struct_extract({expression}, {sql_text(key)})"
    return expression
