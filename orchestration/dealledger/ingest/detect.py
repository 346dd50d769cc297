"""Which layout a file is: its name picks the candidate file specs, its header picks among them.

Detection is deterministic: user mappings are tried before the built-in layouts, each in file order;
when several specs match the name, the first whose header fits (every required column, nothing
unexpected) wins; the one with the most matching columns when none fits (its load then stops the file
with a message about the header). The export date comes from the name, else the file's modification day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from dealledger.ingest import excel, json_records, readers
from dealledger.ingest.readers import QuarantineError
from dealledger.ingest.registry import Registry
from dealledger.ingest.spec import EXTENSION_FORMATS, ExportLayout, FileSpec, header_key, snake_case

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


def export_date_from_name(name: str) -> str | None:
    """The last valid `YYYYMMDD` or `YYYY-MM-DD` in the file name (an export of a period ends last)."""
    found = None
    for match in _DATE_IN_NAME.finditer(name):
        try:
            found = dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            continue
    return found


def export_date(path: Path) -> str:
    """From the name; else the day (UTC) the file was last modified, today for a file that is gone."""
    from_name = export_date_from_name(path.name)
    if from_name is not None:
        return from_name
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date().isoformat()
    except OSError:
        return dt.datetime.now(tz=dt.UTC).date().isoformat()


@dataclass
class HeaderMatch:
    """How a file's header maps onto a layout's columns under one file spec."""

    spec: FileSpec
    layout: ExportLayout
    header: list[str]
    assigned: dict[str, int] = field(default_factory=dict)  # column -> header position
    extras: list[tuple[str, int]] = field(default_factory=list)  # (key in _extra, position)
    ignored: list[int] = field(default_factory=list)
    unnamed: list[int] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.duplicated)

    def problem(self, file_name: str) -> str:
        details = []
        absent = [name for name in self.layout.column_names if name not in self.assigned]
        renamed = []
        for text in self.unexpected:
            close = difflib.get_close_matches(snake_case(text), absent, n=1, cutoff=0.6)
            if close:
                renamed.append(f"{_shown(text)!r} for {close[0]!r}")
        if self.missing:
            details.append(f"missing column(s) {', '.join(self.missing)}")
        if self.unexpected:
            shown = ", ".join(_shown(text) for text in self.unexpected[:8])
            if len(self.unexpected) > 8:
                shown += f" and {len(self.unexpected) - 8} more"
            details.append(f"unexpected column(s) {shown}")
        if renamed:
            details.append(f"renamed? {', '.join(renamed)}")
        if self.duplicated:
            details.append(f"column(s) more than once: {', '.join(self.duplicated)}")
        required = [spec.name for spec in self.layout.column_specs if spec.name in self.spec.required]
        optional = len(self.layout.columns) - len(required)
        expected = ",".join(required) if required else "(no required columns)"
        if optional:
            expected += f" (and any of {optional} optional columns; see docs/formats.md)"
        return (
            f"{file_name}, line 1: header does not match the {self.layout.kind} layout ({self.spec.label}): "
            f"{'; '.join(details)}. Expected: {expected}"
        )


def _shown(text: str, limit: int = 40) -> str:
    """A header for a message: control characters as '?', long ones cut (binary garbage stays readable)."""
    clean = "".join(char if char.isprintable() else "?" for char in text)
    return clean if len(clean) <= limit else clean[:limit] + "…"


def _glob_match(text: str, globs: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(fnmatch.fnmatchcase(folded, glob.casefold()) for glob in globs)


def match_header(header: list[str], spec: FileSpec, layout: ExportLayout, file_format: str = "csv") -> HeaderMatch:
    """Map header positions to columns, `_extra` keys (JSON keys as they are, other headers snake_case),
    ignored and unnamed positions; list what is missing, unexpected or there twice."""
    result = HeaderMatch(spec, layout, header)
    # A header names one column, or several when a mapping says so (`invoice_id` and `invoice_number`
    # both from "Factuurnummer"); explicit spellings win over a column's own name.
    lookup: dict[str, list[str]] = {}
    for name in layout.column_names:
        for spelling in spec.header_spellings(name):
            lookup.setdefault(header_key(spelling, spec.header_match), []).append(name)
    for name in layout.column_names:
        key = header_key(name, spec.header_match)
        if key not in lookup:
            lookup[key] = [name]
    extra_keys: set[str] = set()
    for position, text in enumerate(header):
        if not text:
            result.unnamed.append(position)
            continue
        columns = lookup.get(header_key(text, spec.header_match))
        if columns:
            for column in columns:
                if column in result.assigned:
                    result.duplicated.append(text)
                else:
                    result.assigned[column] = position
        elif _glob_match(text, spec.ignore_columns):
            result.ignored.append(position)
        elif _glob_match(text, spec.extra_columns):
            key = text if file_format == "json_records" else snake_case(text)
            if key in extra_keys:
                result.duplicated.append(text)
            extra_keys.add(key)
            result.extras.append((key, position))
        else:
            result.unexpected.append(text)
    result.missing = [name for name in spec.required if name not in result.assigned]
    return result


def read_header(path: Path, spec: FileSpec) -> list[str]:
    file_format = spec.format_for(path.name)
    if file_format == "csv":
        return readers.read_csv_header(path, spec.dialect)
    if file_format == "xlsx":
        return excel.read_sheet(path, spec, header_only=True).header
    if file_format == "json_records":
        return json_records.read_json_header(path, spec)
    return []  # UBL: the root element is checked when the document is read


def _best(path: Path, specs: list[FileSpec], registry: Registry) -> FileSpec:
    """The first spec whose header fits, else the one matching the most columns (stable order)."""
    scored: list[tuple[bool, int, int, FileSpec]] = []
    for order, spec in enumerate(specs):
        try:
            header = read_header(path, spec)
        except (QuarantineError, OSError):
            scored.append((False, 0, -order, spec))
            continue
        if spec.format_for(path.name) == "ubl_xml":
            scored.append((True, 0, -order, spec))
            continue
        match = match_header(header, spec, registry.layout(spec.kind), spec.format_for(path.name))
        scored.append((match.fits, len(match.assigned), -order, spec))
    fitting = [item for item in scored if item[0]]
    pool = fitting or scored
    return max(pool, key=lambda item: (item[1], item[2]) if not fitting else (item[2],))[3]


def spec_for_file(path: Path, registry: Registry, kind: str | None = None) -> FileSpec | None:
    """The file spec a file is read with (restricted to one layout when `kind` is given)."""
    candidates = registry.specs_for_name(path.name)
    if kind is not None:
        candidates = [spec for spec in candidates if spec.kind == kind]
        if not candidates:
            # Loaded explicitly as this layout although no pattern names it: any spec for its extension.
            wanted = EXTENSION_FORMATS.get(path.suffix.lower(), "csv")
            candidates = [
                spec for spec in registry.specs_for(kind) if spec.format_for(path.name) == wanted
            ] or registry.specs_for(kind)
    if not candidates:
        return None
    if len(candidates) == 1 or not path.is_file():
        return candidates[0]
    # Each ingest asset asks about every inbox file: read an ambiguous file's header once per version.
    stat = path.stat()
    key = (id(registry), kind, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    cached = _DECIDED.get(key)
    if cached is not None and cached[0] is registry:
        return cached[1]
    if len(_DECIDED) > 4096:
        _DECIDED.clear()
    spec = _best(path, candidates, registry)
    _DECIDED[key] = (registry, spec)
    return spec


_DECIDED: dict[tuple, tuple[Registry, FileSpec]] = {}
