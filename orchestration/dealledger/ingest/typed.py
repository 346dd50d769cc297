"""The typed pass: parse each column of the staged text rows in SQL, reject what does not parse, insert.

A value fails when its text is not empty and does not parse as its column's type in the file's dialect;
a failing value rejects its row (one ledger entry per failing value, all with the row's line). Locale-
parsed columns (decimal, double, date, timestamp) keep their text in `<column>__raw` beside the value.
Everything here is one SQL statement per step over the whole file, never a Python loop over rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from dealledger.ingest.spec import (
    LINEAGE_COLUMNS,
    RAW_TEXT_SUFFIX,
    ColumnSpec,
    Dialect,
    ExportLayout,
    is_locale_parsed,
)


class Lineage(NamedTuple):
    """What every raw row of one file carries besides its columns (and its row number)."""

    load_id: str
    source_file: str
    content_hash: str
    export_date: str
    export_scope: str

    @property
    def file_key(self) -> tuple[str, str, str]:
        """(load id, file name, content hash): how raw_meta.rejects names the file a rejected row came from."""
        return self.load_id, self.source_file, self.content_hash


# Each lineage column's value in insert_rows, from a Lineage field (bound by name, or a column of the files
# table the rows are joined to), or the row's own number.
_LINEAGE_VALUES = {
    "_source_file": "{}source_file",
    "_content_hash": "{}content_hash",
    "_row_number": "_row_number",
    "_load_id": "{}load_id",
    "_export_date": "cast({}export_date as date)",
    "_export_scope": "{}export_scope",
}


_WHITESPACE = "[\\s\u00a0\u202f]"


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(sql_text(value) for value in values) + "]"


def _number_text(text: str, dialect: Dialect, integer: bool) -> tuple[str, str | None]:
    """(SQL for the canonical number text, SQL for a shape check or None) under the dialect."""
    expr = text
    for symbol in dialect.currency_symbols:
        expr = f"replace({expr}, {sql_text(symbol)}, '')"
    if dialect.currency_symbols or dialect.thousands_separator in (" ", "\u00a0", "\u202f"):
        expr = f"regexp_replace({expr}, '{_WHITESPACE}', '', 'g')"
    else:
        expr = f"trim({expr})"
    check = None
    decimal = re.escape(dialect.decimal_separator)
    if dialect.thousands_separator:
        thousands = re.escape(dialect.thousands_separator)
        fraction = "" if integer else f"({decimal}[0-9]+)?"
        check = f"[+-]?([0-9]{{1,3}}({thousands}[0-9]{{3}})+|[0-9]+){fraction}"
        expr_checked = f"replace({expr}, {sql_text(dialect.thousands_separator)}, '')"
    else:
        if integer:
            check = "[+-]?[0-9]+"
        elif dialect.decimal_separator != ".":
            check = f"[+-]?([0-9]+({decimal}[0-9]*)?|{decimal}[0-9]+)"
        expr_checked = expr
    if dialect.decimal_separator != "." and not integer:
        expr_checked = f"replace({expr_checked}, {sql_text(dialect.decimal_separator)}, '.')"
    if check is not None:
        return expr_checked, f"regexp_full_match({expr}, {sql_text(check)})"
    return expr_checked, None


def _strptime(text: str, formats: tuple[str, ...]) -> str:
    naive = [fmt for fmt in formats if "%z" not in fmt]
    zoned = [fmt for fmt in formats if "%z" in fmt]
    parts = []
    if naive:
        argument = sql_text(naive[0]) if len(naive) == 1 else _sql_list(naive)
        parts.append(f"try_strptime({text}, {argument})")
    if zoned:
        argument = sql_text(zoned[0]) if len(zoned) == 1 else _sql_list(zoned)
        parts.append(f"timezone('UTC', try_strptime({text}, {argument}))")
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def parse_sql(text: str, column: ColumnSpec, dialect: Dialect) -> str:
    """SQL that turns the column's text into its type, NULL when it does not parse."""
    type_ = column.type
    if type_ == "varchar":
        return text
    value = f"nullif(trim({text}), '')"
    if type_ == "boolean":
        trues = ", ".join(sql_text(v.casefold()) for v in dialect.true_values)
        falses = ", ".join(sql_text(v.casefold()) for v in dialect.false_values)
        return f"(case when lower({value}) in ({trues}) then true when lower({value}) in ({falses}) then false end)"
    if type_ in ("integer", "bigint"):
        number, check = _number_text(value, dialect, integer=True)
        return f"(case when {check} then try_cast({number} as {type_}) end)"
    if type_ == "double" or type_.startswith("decimal"):
        number, check = _number_text(value, dialect, integer=False)
        cast = f"try_cast({number} as {type_})"
        return f"(case when {check} then {cast} end)" if check else cast
    if type_ == "date":
        return f"cast({_strptime(value, column.formats or dialect.date_formats)} as date)"
    if type_ == "timestamp":
        return f"cast({_strptime(value, column.formats or dialect.timestamp_formats)} as timestamp)"
    if type_ == "json":
        return f"(case when json_valid({value}) then cast({value} as json) end)"
    raise ValueError(type_)


def failure_reason_sql(text: str, column: ColumnSpec, dialect: Dialect) -> str:
    reason = f"' does not parse as {column.type}"
    if column.type == "date":
        reason += f" (expected {' or '.join(column.formats or dialect.date_formats)})"
    elif column.type == "timestamp":
        reason += f" (expected {' or '.join(column.formats or dialect.timestamp_formats)})"
    elif column.type == "boolean":
        reason += f" (expected {' / '.join(dialect.true_values + dialect.false_values)})"
    elif dialect.decimal_separator != "." or dialect.thousands_separator:
        thousands = repr(dialect.thousands_separator) if dialect.thousands_separator else "none"
        reason += f" (decimal separator {dialect.decimal_separator!r}, thousands {thousands})"
    return f"'value ''' || {text} || {sql_text(reason)}"


@dataclass(frozen=True)
class ColumnSource:
    """Where a raw-table column's text comes from in the staged rows (None: not in this file -> NULL)."""

    column: ColumnSpec
    position: int | None


@dataclass(frozen=True)
class TypedInput:
    layout: ExportLayout
    dialect: Dialect
    sources: tuple[ColumnSource, ...]
    extras: tuple[tuple[str, int], ...]  # (key in _extra, staged position)
    unnamed: tuple[int, ...]  # staged positions whose header is empty: their values must be empty
    header: tuple[str, ...]  # the file's header, to recognise a repeated header line
    width: int  # number of staged text columns c0 .. c<width-1>


def _staged_text(position: int | None, dialect: Dialect) -> str:
    if position is None:
        return "cast(null as varchar)"
    if dialect.null_values:
        nulls = ", ".join(sql_text(value) for value in dialect.null_values)
        return f"(case when c{position} in ({nulls}) then null else c{position} end)"
    return f"c{position}"


def parse_rows(
    con: duckdb.DuckDBPyConnection,
    typed: TypedInput,
    prefix: str = "_dl",
    materialize: bool = False,
    carried: tuple[str, ...] = (),
) -> int:
    """Create `<prefix>_parsed` (typed values, texts, flags) and `<prefix>_failures` (line, column, reason);
    returns the number of failures.

    `<prefix>_parsed` is a view over `_dl_read` (parsing twice is cheaper than writing every row once
    more) unless `materialize`, for callers that stage another file into `_dl_read` before inserting.
    `carried`: columns of `_dl_read` that it keeps as they are (UBL's `_document`)."""
    select = ["_line", "_row_number", *carried]
    if len(typed.header) >= 2 and all(typed.header):
        repeated = " and ".join(f"c{i} = {sql_text(name)}" for i, name in enumerate(typed.header))
        select.append(f"coalesce({repeated}, false) as _is_header")
    else:
        select.append("false as _is_header")
    checks = []
    for index, source in enumerate(typed.sources):
        column = source.column
        text = _staged_text(source.position, typed.dialect)
        select.append(f"{parse_sql(text, column, typed.dialect)} as p{index}")
        if column.type != "varchar":
            select.append(f"{text} as t{index}")
            checks.append(
                (
                    f"nullif(trim(t{index}), '') is not null and p{index} is null",
                    f"{{'column_name': {sql_text(column.name)}, "
                    f"'reason': {failure_reason_sql(f't{index}', column, typed.dialect)}, 'value': t{index}}}",
                )
            )
    for position in typed.unnamed:
        select.append(f"c{position} as u{position}")
        checks.append(
            (
                f"nullif(trim(u{position}), '') is not null",
                f"{{'column_name': '', 'reason': 'value ''' || u{position} || ''' in column {position + 1}, "
                f"which has no name in the header', 'value': u{position}}}",
            )
        )
    if typed.layout.keeps_extra:
        if typed.extras:
            pairs = ", ".join(f"{sql_text(key)}, c{position}" for key, position in typed.extras)
            select.append(f"json_object({pairs}) as _extra_json")
        else:
            select.append("cast(null as json) as _extra_json")
    kind = "table" if materialize else "view"
    con.execute(f"create or replace temp {kind} {prefix}_parsed as select {', '.join(select)} from _dl_read")

    header_struct = "{'column_name': cast(null as varchar), 'reason': 'repeated header line', 'value': null}"
    items = [f"case when _is_header then {header_struct} end"]
    items += [f"case when not _is_header and {condition} then {struct} end" for condition, struct in checks]
    any_failure = " or ".join(["_is_header", *(f"({condition})" for condition, _ in checks)])
    (failures,) = con.execute(
        f"""
        create or replace temp table {prefix}_failures as
        select
            _line as line,
            failure.column_name as column_name,
            failure.reason as reason,
            failure.value as value
        from (
            select
                _line,
                unnest(list_filter([{", ".join(items)}], f -> f is not null)) as failure
            from {prefix}_parsed
            where {any_failure}
        )
        """
    ).fetchone()
    return int(failures)


def failed_lines(con: duckdb.DuckDBPyConnection, prefix: str = "_dl") -> int:
    row = con.execute(f"select count(distinct line) from {prefix}_failures").fetchone()
    return int(row[0]) if row else 0


def record_failures(
    con: duckdb.DuckDBPyConnection,
    typed: TypedInput,
    delimiter: str,
    lineage: tuple[str, str, str],
    prefix: str = "_dl",
) -> None:
    """Ledger rows for the values that did not parse, with the row's text rebuilt from its fields."""
    load_id, source_file, digest = lineage
    fields = ", ".join(f"coalesce(c{i}, '')" for i in range(typed.width)) or "''"
    con.execute(
        f"""
        insert into raw_meta.rejects (load_id, source_file, content_hash, line, column_name, raw_line, reason)
        select ?, ?, ?, f.line, f.column_name, r.raw_line, f.reason
        from {prefix}_failures as f
        left join (
            select _line, concat_ws({sql_text(delimiter)}, {fields}) as raw_line
            from _dl_read
            where _line in (select line from {prefix}_failures)
        ) as r on r._line = f.line
        order by f.line, f.column_name
        """,
        [load_id, source_file, digest],
    )


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    typed: TypedInput,
    lineage: Lineage | str,
    prefix: str = "_dl",
    *,
    has_failures: bool,
) -> int:
    """Insert every parsed row without a failure into the raw table; returns the rows inserted.

    `lineage`: the file's, or the name of a table of files (`_document` and the Lineage fields) that the
    rows are joined to on `_document`, when the rows are of many files (UBL documents): a row whose
    document is not in it is not inserted.
    `has_failures`: whether `<prefix>_failures` has rows (parse_rows counted them), else no anti join."""
    one_file = isinstance(lineage, Lineage)
    if has_failures and not one_file:
        raise ValueError("rows of many files are inserted only when none failed (UBL rejects whole documents)")
    layout = typed.layout
    targets = [*layout.column_names, *(name for name, _ in LINEAGE_COLUMNS)]
    values = [f"p{index}" for index in range(len(typed.sources))]
    field = "$" if one_file else "files."
    values += [_LINEAGE_VALUES[name].format(field) for name, _ in LINEAGE_COLUMNS]
    for index, source in enumerate(typed.sources):
        if is_locale_parsed(source.column.type):
            targets.append(f"{source.column.name}{RAW_TEXT_SUFFIX}")
            values.append(f"t{index}")
    if layout.keeps_extra:
        targets.append("_extra")
        values.append("_extra_json")
    if has_failures:
        source = f"from {prefix}_parsed as p anti join {prefix}_failures as f on f.line = p._line order by p._line"
    elif one_file:
        source = f"from {prefix}_parsed"  # in file order already
    else:
        source = f"from {prefix}_parsed join {lineage} as files using (_document) order by _line"
    parameters = lineage._asdict() if one_file else None
    row = con.execute(
        f"insert into {layout.raw_table} ({', '.join(targets)}) select {', '.join(values)} {source}", parameters
    ).fetchone()
    return int(row[0]) if row else 0


def typed_names(prefix: str = "_dl", materialize: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(temp tables, temp views) that `parse_rows` creates under `prefix`."""
    if materialize:
        return (f"{prefix}_parsed", f"{prefix}_failures"), ()
    return (f"{prefix}_failures",), (f"{prefix}_parsed",)
