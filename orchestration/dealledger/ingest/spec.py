"""Layouts as data: the YAML schema that says which files are which export and how to read them.

A layout file (`ingest/layouts/<system>.yml`, or a user mapping in `$DEALLEDGER_HOME/mappings/*.yml`)
describes, per raw table, its columns with their DuckDB types (the contract) and the files that load into
it: name patterns, format and a pinned dialect. docs/formats.md documents the schema; `load_layout_file`
validates it and says what is wrong, where.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

FORMATS = ("csv", "xlsx", "json_records", "ubl_xml")
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".json": "json_records",
    ".xml": "ubl_xml",
}
HEADER_MATCHES = ("exact", "case_insensitive", "loose")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
DECIMAL_SEPARATORS = (".", ",")
THOUSANDS_SEPARATORS = (".", ",", " ", "'", "\u00a0", "\u202f")
_TYPE = re.compile(r"^(varchar|boolean|integer|bigint|double|date|timestamp|json|decimal\((\d{1,2}),\s*(\d{1,2})\))$")
_COLUMN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# What a file holds: every record as of its export day (full), or only the records that changed since the
# export before it (changes: a CRM's "modified since" export). A record missing from a changes export is
# unchanged, not deleted.
EXPORT_SCOPES = ("full", "changes")
RAW_TEXT_SUFFIX = "__raw"

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "varchar"),
    ("_content_hash", "varchar"),
    ("_row_number", "bigint"),
    ("_load_id", "varchar"),
    ("_export_date", "date"),
    ("_export_scope", "varchar"),
)
EXTRA_COLUMN = ("_extra", "json")
# Names a layout's own columns may not take: the lineage and `_extra` that every raw table may carry.
RESERVED_COLUMNS = (*(name for name, _ in LINEAGE_COLUMNS), EXTRA_COLUMN[0])


class LayoutConfigError(ValueError):
    """A layout or mapping file that cannot be used; the message names the file and the key."""


def is_locale_parsed(type_: str) -> bool:
    """Types whose reading depends on the dialect (amounts, dates): their raw text is kept beside them."""
    return type_.startswith("decimal") or type_ in ("double", "date", "timestamp")


def normalise_type(type_: str) -> str:
    match = _TYPE.match(type_.strip().lower())
    if match is None:
        raise ValueError(type_)
    if match[2] is not None:
        precision, scale = int(match[2]), int(match[3])
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError(type_)
        return f"decimal({precision},{scale})"
    return match[1]


def snake_case(text: str) -> str:
    """`StageName` -> `stage_name`, `Referral_Account__c` -> `referral_account_c`, `a-b c` -> `a_b_c`."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text.strip())
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text or "column"


def header_key(text: str, mode: str) -> str:
    """The form in which a header and a column name are compared under a `header_match` mode."""
    text = text.strip().lstrip("\ufeff").strip()
    if mode == "exact":
        return text
    if mode == "case_insensitive":
        return text.casefold()
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@dataclass(frozen=True)
class Dialect:
    """How the text of a file is read: pinned per file spec, never sniffed."""

    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: str = "utf-8"
    decimal_separator: str = "."
    thousands_separator: str | None = None
    currency_symbols: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    timestamp_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S",)
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)
    null_values: tuple[str, ...] = ()

    def describe(self) -> str:
        thousands = repr(self.thousands_separator) if self.thousands_separator else "none"
        return (
            f"delimiter {self.delimiter!r}, quote {self.quote!r}, encoding {self.encoding}, "
            f"decimal {self.decimal_separator!r}, thousands {thousands}, dates {'/'.join(self.date_formats)}"
        )


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = True
    description: str = ""
    formats: tuple[str, ...] = ()  # date/timestamp formats for this column only


@dataclass(frozen=True)
class ExportLayout:
    """One raw table: the contract dbt staging reads. One Dagster ingest asset each."""

    source: str  # dbt source name; the DuckDB schema is raw_<source>
    table: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), the contract's order
    description: str = field(default="", compare=False)
    keeps_extra: bool = False  # an `_extra` json column holds the allowed columns that are not in `columns`
    loaded_with: str | None = None  # kind of the layout whose files also fill this table (UBL lines)
    column_specs: tuple[ColumnSpec, ...] = field(default=(), compare=False, repr=False)

    @property
    def kind(self) -> str:
        return f"{self.source}_{self.table}"

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def raw_table(self) -> str:
        return f"{self.raw_schema}.{self.table}"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def raw_text_columns(self) -> list[tuple[str, str]]:
        """`<column>__raw` (varchar) for every column whose parsing depends on the dialect."""
        return [(f"{name}{RAW_TEXT_SUFFIX}", "varchar") for name, type_ in self.columns if is_locale_parsed(type_)]

    @property
    def table_columns(self) -> list[tuple[str, str]]:
        """Every column of the raw table in DDL order: contract, lineage, raw text, `_extra`."""
        extra = [EXTRA_COLUMN] if self.keeps_extra else []
        return [*self.columns, *LINEAGE_COLUMNS, *self.raw_text_columns, *extra]

    def column(self, name: str) -> ColumnSpec:
        for spec in self.column_specs:
            if spec.name == name:
                return spec
        type_ = dict(self.columns)[name]
        return ColumnSpec(name, type_)


@dataclass(frozen=True)
class FileSpec:
    """One way a file can arrive for a raw table: name patterns, format, dialect and header spellings."""

    kind: str
    label: str  # for messages: "<yaml file>: <source>.<table> files[<i>]"
    user: bool  # from a user mapping (checked before the built-in specs)
    globs: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]
    format: str  # csv | xlsx | json_records | ubl_xml | auto (from the file extension)
    dialect: Dialect
    header_match: str
    headers: tuple[tuple[str, tuple[str, ...]], ...]  # column -> accepted header spellings
    required: tuple[str, ...]
    extra_columns: tuple[str, ...]  # header globs kept in `_extra`
    ignore_columns: tuple[str, ...]  # header globs that are read and dropped
    records_path: tuple[str, ...] = ()
    sheet: str | int = 0
    header_row: int = 1
    scope: str = "full"  # one of EXPORT_SCOPES

    def format_for(self, name: str) -> str:
        """The declared format, else the one the file's extension names (`.xlsx` -> xlsx, other -> csv)."""
        if self.format != "auto":
            return self.format
        return EXTENSION_FORMATS.get(Path(name).suffix.lower(), "csv")

    def matches_name(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, glob) for glob in self.globs) or any(
            regex.fullmatch(name) for regex in self.regexes
        )

    def header_spellings(self, column: str) -> tuple[str, ...]:
        return dict(self.headers).get(column, ())


@dataclass(frozen=True)
class LayoutFile:
    path: Path
    source: str
    layouts: tuple[ExportLayout, ...]
    specs: tuple[FileSpec, ...]


def _fail(where: str, message: str) -> LayoutConfigError:
    return LayoutConfigError(f"{where}: {message}")


def _check_keys(where: str, mapping: Any, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(mapping, dict):
        raise _fail(where, f"expected a mapping, found {type(mapping).__name__}")
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(required - set(mapping))
    if missing:
        raise _fail(where, f"missing key(s) {', '.join(missing)}")
    return mapping


def _string_list(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str | int | float | bool) for item in value):
        return tuple(str(item).lower() if isinstance(item, bool) else str(item) for item in value)
    raise _fail(where, "expected a string or a list of strings")


_DIALECT_KEYS = {
    "delimiter",
    "quote",
    "escape",
    "encoding",
    "decimal_separator",
    "thousands_separator",
    "currency_symbols",
    "date_formats",
    "timestamp_formats",
    "true_values",
    "false_values",
    "null_values",
}


def _dialect(where: str, raw: Any, base: Dialect) -> Dialect:
    if raw is None:
        return base
    raw = _check_keys(where, raw, _DIALECT_KEYS)
    values: dict[str, Any] = {}
    for key in ("delimiter", "quote", "escape"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
                raise _fail(f"{where}.{key}", f"expected one character, found {value!r}")
            values[key] = value
    if "encoding" in raw:
        encoding = str(raw["encoding"]).lower().replace("_", "-")
        encoding = {"utf8": "utf-8", "windows-1252": "cp1252", "latin1": "latin-1", "iso-8859-1": "latin-1"}.get(
            encoding, encoding
        )
        if encoding not in ENCODINGS:
            raise _fail(f"{where}.encoding", f"{raw['encoding']!r} is not one of {', '.join(ENCODINGS)}")
        values["encoding"] = encoding
    if "decimal_separator" in raw:
        if raw["decimal_separator"] not in DECIMAL_SEPARATORS:
            raise _fail(f"{where}.decimal_separator", f"expected one of {DECIMAL_SEPARATORS}")
        values["decimal_separator"] = raw["decimal_separator"]
    if "thousands_separator" in raw:
        if raw["thousands_separator"] is not None and raw["thousands_separator"] not in THOUSANDS_SEPARATORS:
            raise _fail(f"{where}.thousands_separator", f"expected null or one of {THOUSANDS_SEPARATORS}")
        values["thousands_separator"] = raw["thousands_separator"]
    for key in ("currency_symbols", "date_formats", "timestamp_formats", "true_values", "false_values"):
        if key in raw:
            values[key] = _string_list(f"{where}.{key}", raw[key])
    if "null_values" in raw:
        values["null_values"] = _string_list(f"{where}.null_values", raw["null_values"])
    dialect = Dialect(**{**base.__dict__, **values})
    if dialect.thousands_separator == dialect.decimal_separator:
        raise _fail(where, "thousands_separator and decimal_separator are the same")
    if not dialect.date_formats or not dialect.timestamp_formats:
        raise _fail(where, "date_formats and timestamp_formats may not be empty")
    if not dialect.true_values or not dialect.false_values:
        raise _fail(where, "true_values and false_values may not be empty")
    return dialect


def _columns(where: str, raw: Any, required_default: bool) -> tuple[ColumnSpec, ...]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(where, "expected a mapping of column name to type")
    columns = []
    for name, value in raw.items():
        at = f"{where}.{name}"
        if not isinstance(name, str) or not _COLUMN_NAME.match(name):
            raise _fail(at, "a column name is snake_case: lower-case letters, digits and '_'")
        if name in RESERVED_COLUMNS or name.endswith(RAW_TEXT_SUFFIX):
            raise _fail(at, f"{name!r} is reserved for lineage, `_extra` or `<column>{RAW_TEXT_SUFFIX}`")
        if isinstance(value, str):
            value = {"type": value}
        value = _check_keys(at, value, {"type", "required", "description", "formats"}, {"type"})
        try:
            type_ = normalise_type(str(value["type"]))
        except ValueError:
            raise _fail(
                f"{at}.type",
                f"{value['type']!r} is not a supported type "
                "(varchar, boolean, integer, bigint, double, decimal(p,s), date, timestamp, json)",
            ) from None
        formats = _string_list(f"{at}.formats", value.get("formats"))
        if formats and type_ not in ("date", "timestamp"):
            raise _fail(f"{at}.formats", "formats apply to date and timestamp columns only")
        required = value.get("required", required_default)
        if not isinstance(required, bool):
            raise _fail(f"{at}.required", "expected true or false")
        columns.append(ColumnSpec(name, type_, required, str(value.get("description", "")), formats))
    return tuple(columns)


def _compile_regexes(where: str, patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise _fail(where, f"invalid regular expression {pattern!r}: {error}") from None
    return tuple(compiled)


_FILE_KEYS = {
    "name",
    "glob",
    "regex",
    "format",
    "dialect",
    "header_match",
    "headers",
    "required",
    "extra_columns",
    "ignore_columns",
    "records_path",
    "sheet",
    "header_row",
    "scope",
}


def _file_spec(
    where: str,
    raw: Any,
    layout: ExportLayout,
    *,
    user: bool,
    base_dialect: Dialect,
    base_header_match: str,
    table_extra: tuple[str, ...],
) -> FileSpec:
    raw = _check_keys(where, raw, _FILE_KEYS)
    globs = _string_list(f"{where}.glob", raw.get("glob"))
    regexes = _compile_regexes(f"{where}.regex", _string_list(f"{where}.regex", raw.get("regex")))
    if not globs and not regexes:
        raise _fail(where, "a file spec needs a `glob` or a `regex` for the file name")
    format_ = raw.get("format", "auto")
    if format_ not in (*FORMATS, "auto"):
        raise _fail(f"{where}.format", f"{format_!r} is not one of auto, {', '.join(FORMATS)}")
    header_match = raw.get("header_match", base_header_match)
    if header_match not in HEADER_MATCHES:
        raise _fail(f"{where}.header_match", f"{header_match!r} is not one of {', '.join(HEADER_MATCHES)}")
    names = set(layout.column_names)
    headers_raw = raw.get("headers") or {}
    if not isinstance(headers_raw, dict):
        raise _fail(f"{where}.headers", "expected a mapping of column name to header text (or a list of them)")
    headers = []
    for column, spellings in headers_raw.items():
        if column not in names:
            raise _fail(f"{where}.headers.{column}", f"{layout.raw_table} has no column {column!r}")
        headers.append((column, _string_list(f"{where}.headers.{column}", spellings)))
    if "required" in raw:
        required = _string_list(f"{where}.required", raw["required"])
        for column in required:
            if column not in names:
                raise _fail(f"{where}.required", f"{layout.raw_table} has no column {column!r}")
    elif user:
        required = tuple(column for column, _ in headers)
    else:
        required = tuple(spec.name for spec in layout.column_specs if spec.required)
    extra = table_extra + _string_list(f"{where}.extra_columns", raw.get("extra_columns"))
    if extra and not layout.keeps_extra:
        raise _fail(
            f"{where}.extra_columns",
            f"{layout.raw_table} has no `_extra` column; use ignore_columns to accept and drop columns",
        )
    records_path = _string_list(f"{where}.records_path", raw.get("records_path"))
    sheet = raw.get("sheet", 0)
    if not isinstance(sheet, str | int):
        raise _fail(f"{where}.sheet", "expected a sheet name or a 0-based sheet index")
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or header_row < 1:
        raise _fail(f"{where}.header_row", "expected the 1-based row number of the header")
    scope = raw.get("scope", "full")
    if scope not in EXPORT_SCOPES:
        raise _fail(f"{where}.scope", f"{scope!r} is not one of {', '.join(EXPORT_SCOPES)}")
    spec = FileSpec(
        kind=layout.kind,
        label=raw.get("name") or where,
        user=user,
        globs=globs,
        regexes=regexes,
        format=format_,
        dialect=_dialect(f"{where}.dialect", raw.get("dialect"), base_dialect),
        header_match=header_match,
        headers=tuple(headers),
        required=required,
        extra_columns=extra,
        ignore_columns=_string_list(f"{where}.ignore_columns", raw.get("ignore_columns")),
        records_path=records_path,
        sheet=sheet,
        header_row=header_row,
        scope=scope,
    )
    _check_spellings(where, spec, layout)
    return spec


def _check_spellings(where: str, spec: FileSpec, layout: ExportLayout) -> None:
    """Two columns whose own names read the same under `header_match` make the mapping ambiguous."""
    if spec.format == "ubl_xml":
        return
    owners: dict[str, str] = {}
    for name in layout.column_names:
        key = header_key(name, spec.header_match)
        if owners.setdefault(key, name) != name:
            raise _fail(
                f"{where}.header_match",
                f"columns {owners[key]!r} and {name!r} read the same under header_match {spec.header_match}",
            )


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LayoutConfigError(f"{path}: cannot read the YAML: {error}") from None


def load_layout_file(path: Path, *, user: bool = False, known: dict[str, ExportLayout] | None = None) -> LayoutFile:
    """Parse and validate one layout (built-in) or mapping (user) file.

    A built-in file defines tables (columns and files); a user mapping only adds `files` to tables
    that exist (`known`), so the raw tables and the Dagster assets stay the same whatever users map.
    """
    where = str(path)
    raw = _check_keys(where, read_yaml(path), {"source", "description", "defaults", "tables"}, {"source", "tables"})
    source = raw["source"]
    if not isinstance(source, str) or not _COLUMN_NAME.match(source):
        raise _fail(f"{where}: source", "expected a snake_case source name")
    defaults = _check_keys(f"{where}: defaults", raw.get("defaults") or {}, {"dialect", "header_match", "required"})
    base_dialect = _dialect(f"{where}: defaults.dialect", defaults.get("dialect"), Dialect())
    base_header_match = defaults.get("header_match", "exact")
    if base_header_match not in HEADER_MATCHES:
        raise _fail(f"{where}: defaults.header_match", f"expected one of {', '.join(HEADER_MATCHES)}")
    required_default = defaults.get("required", True)
    tables = raw["tables"]
    if not isinstance(tables, dict) or not tables:
        raise _fail(f"{where}: tables", "expected a mapping of table name to its definition")
    layouts: list[ExportLayout] = []
    specs: list[FileSpec] = []
    for table, body in tables.items():
        at = f"{where}: {source}.{table}"
        if not isinstance(table, str) or not _COLUMN_NAME.match(table):
            raise _fail(at, "a table name is snake_case")
        if user:
            body = _check_keys(at, body, {"description", "files", "dialect", "header_match"}, {"files"})
            layout = (known or {}).get(f"{source}_{table}")
            if layout is None:
                raise _fail(
                    at,
                    f"a mapping adds files to an existing table; raw_{source}.{table} does not exist "
                    f"(known: {', '.join(sorted(known or {}))})",
                )
            table_extra: tuple[str, ...] = ()
        else:
            body = _check_keys(
                at,
                body,
                {"description", "columns", "files", "dialect", "header_match", "extra_columns", "loaded_with"},
                {"columns"},
            )
            column_specs = _columns(f"{at}.columns", body["columns"], required_default)
            table_extra = _string_list(f"{at}.extra_columns", body.get("extra_columns"))
            loaded_with = body.get("loaded_with")
            layout = ExportLayout(
                source=source,
                table=table,
                columns=tuple((column.name, column.type) for column in column_specs),
                description=str(body.get("description", "")).strip(),
                keeps_extra=bool(table_extra),
                loaded_with=f"{source}_{loaded_with}" if loaded_with else None,
                column_specs=column_specs,
            )
            layouts.append(layout)
        table_dialect = _dialect(f"{at}.dialect", body.get("dialect"), base_dialect)
        table_header_match = body.get("header_match", base_header_match)
        files = body.get("files") or []
        if not isinstance(files, list):
            raise _fail(f"{at}.files", "expected a list of file specs")
        if layout.loaded_with and files:
            raise _fail(f"{at}.files", "a table filled by another table's files (loaded_with) has no files")
        for index, file_raw in enumerate(files):
            spec = _file_spec(
                f"{at}.files[{index}]",
                file_raw,
                layout,
                user=user,
                base_dialect=table_dialect,
                base_header_match=table_header_match,
                table_extra=table_extra,
            )
            label = (
                spec.label if spec.label != f"{at}.files[{index}]" else f"{path.name}: {source}.{table} files[{index}]"
            )
            specs.append(replace(spec, label=label))
    return LayoutFile(path, source, tuple(layouts), tuple(specs))
