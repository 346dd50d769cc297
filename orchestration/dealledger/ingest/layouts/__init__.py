"""The export layouts dealledger reads: which file is which raw table, and the columns with their types.

The layouts are data: one YAML file per source system in this folder (crm.yml and billing.yml are the
generic layouts of docs/architecture.md; salesforce.yml, hubspot.yml, quickbooks.yml, stripe.yml and
ubl.yml the tools users export from). docs/formats.md documents the schema and every raw table.
User mappings in `$DEALLEDGER_HOME/mappings/*.yml` add file specs for other tools to these tables.

One `ExportLayout` per raw table; the file name (and, when names are ambiguous, the header) says which
layout a file is.
"""

from __future__ import annotations

from pathlib import Path

from dealledger.ingest.detect import export_date
from dealledger.ingest.registry import Registry, builtin_registry, registry_for
from dealledger.ingest.spec import LINEAGE_COLUMNS, ExportLayout, LayoutConfigError

DECIMAL_AMOUNT = "decimal(18,2)"

LAYOUTS: tuple[ExportLayout, ...] = builtin_registry().layouts

LAYOUTS_BY_KIND: dict[str, ExportLayout] = {layout.kind: layout for layout in LAYOUTS}


def layout_for_file(path: Path, registry: Registry | None = None) -> tuple[ExportLayout, str] | None:
    """The layout a file is and its export date (YYYY-MM-DD), or None when no layout claims the name.

    Candidates come from the file name (user mappings first); when several layouts claim it, the header
    decides. The export date is the last `YYYYMMDD` / `YYYY-MM-DD` in the name, else the day the file
    was last modified (UTC).
    """
    from dealledger.ingest.detect import spec_for_file

    registry = registry or registry_for()
    spec = spec_for_file(path, registry)
    if spec is None:
        return None
    return LAYOUTS_BY_KIND[spec.kind], export_date(path)


def raw_table_ddl(layout: ExportLayout) -> str:
    columns = ",\n    ".join(f"{name} {type_}" for name, type_ in layout.table_columns)
    return f"create table if not exists {layout.raw_table} (\n    {columns}\n)"


__all__ = [
    "DECIMAL_AMOUNT",
    "LAYOUTS",
    "LAYOUTS_BY_KIND",
    "LINEAGE_COLUMNS",
    "ExportLayout",
    "LayoutConfigError",
    "layout_for_file",
    "raw_table_ddl",
]
