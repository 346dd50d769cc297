"""JSON records files into `_dl_read` / `_dl_structural` (see readers.py), read by DuckDB.

The document is parsed as one JSON value and its records list unnested; the records' merged structure
(`json_group_structure`, one row per field back in Python) gives the fields, nested objects flattened to
dotted names; `json_transform` splits each record and each cell is written in the file's dialect in SQL.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dealledger.ingest.readers import (
    QuarantineError,
    Staged,
    drop_temp,
    empty_structural,
    first_line,
    needs_transcoding,
    sql_text,
    transcode_to_utf8,
)
from dealledger.ingest.spec import Dialect, FileSpec

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
        first = first_line(error)
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
    """The fields of a JSON records file, in first-seen order, each as the keys leading to it."""

    paths: list[tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        """Nested objects flattened to dotted names (`attributes.type`): the file's header."""
        return [".".join(keys) for keys in self.paths]

    @property
    def shape(self) -> dict[str, Any]:
        """The records' merged structure with every field as JSON, for json_transform."""
        shape: dict[str, Any] = {}
        for keys in self.paths:
            level = shape
            for key in keys[:-1]:
                level = level.setdefault(key, {})
            level[keys[-1]] = "JSON"
        return shape


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
    return JsonFields(list(_fields_of(json.loads(structure))) if structure else [])


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
        empty_structural(con)
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
