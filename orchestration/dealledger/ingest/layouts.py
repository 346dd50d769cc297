"""The export layouts dealledger reads: which file is which kind, and its columns with their types.

One `ExportLayout` per export kind. The kind is found from the file name (`<kind>_<YYYYMMDD>.csv`);
the columns are the contract the reader enforces strictly (docs/architecture.md documents them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DECIMAL_AMOUNT = "decimal(18,2)"


@dataclass(frozen=True)
class ExportLayout:
    source: str  # dbt source name; the DuckDB schema is raw_<source>
    table: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) in file order

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


LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "varchar"),
    ("_content_hash", "varchar"),
    ("_row_number", "bigint"),
    ("_load_id", "varchar"),
    ("_export_date", "date"),
)

LAYOUTS: tuple[ExportLayout, ...] = (
    ExportLayout(
        "crm",
        "deals",
        (
            ("deal_id", "varchar"),
            ("deal_name", "varchar"),
            ("account_id", "varchar"),
            ("owner_id", "varchar"),
            ("stage", "varchar"),
            ("amount", DECIMAL_AMOUNT),
            ("currency", "varchar"),
            ("expected_close_date", "date"),
            ("created_at", "timestamp"),
            ("updated_at", "timestamp"),
            ("lead_source", "varchar"),
            ("referrer_account_id", "varchar"),
            ("lost_reason", "varchar"),
            ("quote_number", "varchar"),
            ("po_number", "varchar"),
            ("merged_into_deal_id", "varchar"),
            ("is_deleted", "boolean"),
        ),
    ),
    ExportLayout(
        "crm",
        "deal_stage_history",
        (
            ("deal_id", "varchar"),
            ("stage", "varchar"),
            ("amount", DECIMAL_AMOUNT),
            ("changed_at", "timestamp"),
        ),
    ),
    ExportLayout(
        "crm",
        "accounts",
        (
            ("account_id", "varchar"),
            ("account_name", "varchar"),
            ("kvk_number", "varchar"),
            ("vat_number", "varchar"),
            ("city", "varchar"),
            ("industry", "varchar"),
            ("referred_by_account_id", "varchar"),
            ("created_at", "timestamp"),
            ("updated_at", "timestamp"),
        ),
    ),
    ExportLayout(
        "crm",
        "contacts",
        (
            ("contact_id", "varchar"),
            ("account_id", "varchar"),
            ("first_name", "varchar"),
            ("last_name", "varchar"),
            ("email", "varchar"),
            ("phone", "varchar"),
            ("role", "varchar"),
            ("updated_at", "timestamp"),
        ),
    ),
    ExportLayout(
        "crm",
        "activities",
        (
            ("activity_id", "varchar"),
            ("deal_id", "varchar"),
            ("contact_id", "varchar"),
            ("owner_id", "varchar"),
            ("activity_type", "varchar"),
            ("activity_at", "timestamp"),
            ("duration_minutes", "integer"),
        ),
    ),
    ExportLayout(
        "crm",
        "users",
        (
            ("owner_id", "varchar"),
            ("full_name", "varchar"),
            ("email", "varchar"),
            ("team", "varchar"),
            ("is_active", "boolean"),
        ),
    ),
    ExportLayout(
        "billing",
        "invoices",
        (
            ("invoice_id", "varchar"),
            ("invoice_number", "varchar"),
            ("invoice_type", "varchar"),
            ("customer_id", "varchar"),
            ("customer_name", "varchar"),
            ("customer_kvk", "varchar"),
            ("invoice_date", "date"),
            ("due_date", "date"),
            ("currency", "varchar"),
            ("net_amount", DECIMAL_AMOUNT),
            ("vat_amount", DECIMAL_AMOUNT),
            ("total_amount", DECIMAL_AMOUNT),
            ("reference", "varchar"),
            ("corrects_invoice_number", "varchar"),
        ),
    ),
    ExportLayout(
        "billing",
        "invoice_lines",
        (
            ("invoice_id", "varchar"),
            ("line_number", "integer"),
            ("description", "varchar"),
            ("quantity", "decimal(18,4)"),
            ("unit_price", DECIMAL_AMOUNT),
            ("line_amount", DECIMAL_AMOUNT),
            ("vat_rate", "decimal(5,2)"),
        ),
    ),
)

LAYOUTS_BY_KIND: dict[str, ExportLayout] = {layout.kind: layout for layout in LAYOUTS}

_EXPORT_FILE_NAME = re.compile(r"^(?P<kind>[a-z_]+?)_(?P<date>\d{8})\.csv$")


def layout_for_file(path: Path) -> tuple[ExportLayout, str] | None:
    """The layout and export date (YYYY-MM-DD) a file name declares, or None for an unknown name."""
    match = _EXPORT_FILE_NAME.match(path.name)
    if match is None or match["kind"] not in LAYOUTS_BY_KIND:
        return None
    date = match["date"]
    return LAYOUTS_BY_KIND[match["kind"]], f"{date[:4]}-{date[4:6]}-{date[6:]}"


def raw_table_ddl(layout: ExportLayout) -> str:
    columns = ",\n    ".join(f"{name} {type_}" for name, type_ in (*layout.columns, *LINEAGE_COLUMNS))
    return f"create table if not exists {layout.raw_table} (\n    {columns}\n)"
