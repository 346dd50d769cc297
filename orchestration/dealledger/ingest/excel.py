"""Excel sheets into `_dl_read` / `_dl_structural` (see readers.py) without a Python loop over rows.

fastexcel (calamine, in Rust) reads the sheet into Arrow columns of text that DuckDB scans. The columns
whose text could be a date-time, or a number or boolean that the file's dialect writes differently, are
read once more as date-times and as booleans, which tells a typed cell from a text; DuckDB then writes
each cell as a CSV export in that dialect would hold it, so one parser (typed.py) reads every format.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dealledger.ingest.readers import QuarantineError, Staged, drop_temp, empty_structural, sql_text
from dealledger.ingest.spec import Dialect, FileSpec

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


def _column(position: int) -> str:
    """fastexcel's name for a column of a sheet read without a header row. Its column indices would count
    from column A; positions and these names count from the first column that holds a value."""
    return f"__UNNAMED__{position}"


def _load_sheet(reader: Any, sheet: int | str, dtypes: str | dict[int, str], rows: int | None = None) -> Any:
    """One read of the sheet (its first `rows` rows), from its first row, as a pyarrow table: every column
    as `dtypes`, or the columns it maps, each as its type. A cell that is not of its column's type is null
    (a text in a boolean column)."""
    import pyarrow as pa

    if isinstance(dtypes, dict):
        named = {_column(position): dtype for position, dtype in dtypes.items()}
        batch = reader.load_sheet(
            sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes=named, use_columns=list(named), eager=True
        )
    else:
        batch = reader.load_sheet(sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes=dtypes, eager=True)
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


def _sheet_cell(
    position: int, column_type: str | None, dialect: Dialect, read_as_datetime: bool, read_as_boolean: bool
) -> str:
    """SQL for the text of cell `t{position}` in the file's dialect, as a CSV export would hold it:
    numbers with its decimal separator, booleans in its words, date-times in its first date format (in a
    date column, or at midnight in an untyped one) or timestamp format, a time of day as `HH:MM:SS`.
    `read_as_*`: the column was read again as that type (`d{position}`, `b{position}`)."""
    text, when_datetime, when_number = f"t{position}", f"d{position}", f"b{position}"
    date_format = sql_text(_strftime_format(dialect.date_formats))
    timestamp_format = sql_text(_strftime_format(dialect.timestamp_formats))
    branches = []
    if read_as_datetime:
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
    if read_as_boolean:
        true_word, false_word = (sql_text(words[0]) for words in (dialect.true_values, dialect.false_values))
        branches += [
            f"when {when_number} is not null and {text} = 'true' then {true_word}",
            f"when {when_number} is not null and {text} = 'false' then {false_word}",
            f"when {when_number} is not null then replace({text}, '.', {sql_text(dialect.decimal_separator)})",
        ]
    return f"case {' '.join(branches)} else nullif({text}, '') end" if branches else f"nullif({text}, '')"


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> Iterator[None]:
    """An Arrow table as a view for the statements inside, and not one moment longer (it holds the sheet)."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


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
    with _registered(con, "_dl_sheet_text", sheet.text):
        datetimes, numbers = _typed_columns(con, sheet, dialect)
    cells = sheet.text
    # Each read parses the sheet again: one read for every typed column, a second for a column that
    # needs both types.
    first = {position: "datetime" for position in datetimes}
    first |= {position: "boolean" for position in numbers if position not in first}
    second = {position: "boolean" for position in numbers if position in datetimes}
    for dtypes in (first, second):
        if dtypes:
            typed = _load_sheet(sheet.reader, sheet.sheet, dtypes)
            for position, dtype in dtypes.items():
                prefix = "d" if dtype == "datetime" else "b"
                cells = cells.append_column(f"{prefix}{position}", typed.column(_column(position)))
    width, columns = len(sheet.header), sheet.columns
    rendered = ", ".join(
        f"{_sheet_cell(i, types[i] if i < width else None, dialect, i in datetimes, i in numbers)} as c{i}"
        for i in range(columns)
    )
    blank_cells = [f"coalesce(regexp_full_match(c{i}, '{_BLANK}'), true)" for i in range(columns)]
    blank = " and ".join(blank_cells)
    beyond = " or ".join(f"not {cell}" for cell in blank_cells[width:]) or "false"
    raw = ", ".join(f"coalesce(c{i}, '')" for i in range(columns))
    with _registered(con, "_dl_sheet_cells", cells):
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
    empty_structural(con)
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
