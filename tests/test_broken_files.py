"""A generated corpus of broken exports runs through the loader: nothing crashes, every row is accounted for.

For every file: either it is loaded and rows read = rows loaded + rows rejected (the raw table holds the
loaded rows, the ledger one distinct line per rejected row), or it is quarantined as a whole (moved aside
with its reason, nothing in the raw table or the ledger).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest

from dealledger.ingest import excel, loader, ubl
from dealledger.ingest.layouts import LAYOUTS, LAYOUTS_BY_KIND, layout_for_file
from dealledger.ingest.loader import FileLoadResult, ensure_raw_tables, load_export_file, load_ubl_documents
from dealledger.ingest.registry import registry_for
from dealledger.ingest.spec import Dialect, FileSpec

INVOICES = LAYOUTS_BY_KIND["billing_invoices"]
HEADER = (
    "invoice_id,invoice_number,invoice_type,customer_id,customer_name,customer_kvk,invoice_date,due_date,"
    "currency,net_amount,vat_amount,total_amount,reference,corrects_invoice_number\n"
)
HOSTILE = "Robert'); DROP TABLE raw_billing.invoices;-- <script>alert(1)</script> \u202eRTL \U0001f680 zero\u200bwidth"


def row(number: int, date: str = "2024-01-31", amount: str = "100.00", name: str = "Bakker BV") -> str:
    return f"INV{number:04d},F{number},invoice,C1,{name},,{date},2024-02-14,EUR,{amount},21.00,121.00,D0000001,\n"


GOOD = HEADER + "".join(row(i) for i in range(1, 6))
NOISE = random.Random(20240131)


@dataclass(frozen=True)
class Case:
    content: str | bytes
    status: str = "loaded"
    counts: tuple[int, int, int] | None = None  # read, loaded, rejected (None: only the invariants)
    lines: tuple[int, ...] | None = None  # the rejected lines
    reason: str | None = None  # in the quarantine reason, or in the first reject's reason


CSV_CASES: dict[str, Case] = {
    "ragged_rows": Case(
        HEADER + row(1) + "INV0002,F2,invoice\n" + row(3).rstrip("\n") + ",extra,more\n" + row(4),
        counts=(4, 2, 2),
        lines=(3, 4),
        reason="missing columns",
    ),
    "wrong_delimiter": Case(
        HEADER.replace(",", ";") + row(1).replace(",", ";"), "quarantined", reason="missing column(s) invoice_id"
    ),
    "wrong_delimiter_in_rows": Case(
        HEADER + row(1).replace(",", ";") + row(2) + row(3).replace(",", ";"), counts=(3, 1, 2), lines=(2, 4)
    ),
    "bad_dates": Case(
        HEADER
        + row(1)
        + row(2, date="2024-13-45")
        + row(3, date="31-01-2024")
        + row(4, date="")
        + row(5, date="2024-02-30"),
        counts=(5, 2, 3),
        lines=(3, 4, 6),
        reason="value '2024-13-45' does not parse as date",
    ),
    "unparseable_amounts": Case(
        HEADER
        + row(1)
        + row(2, amount="12x")
        + row(3, amount='"1.234,56"')
        + row(4, amount="€5")
        + row(5, amount="1e400")
        + row(6, amount="  7.50 "),
        counts=(6, 2, 4),
        lines=(3, 4, 5, 6),
        reason="value '12x' does not parse as decimal(18,2)",
    ),
    "truncated_in_a_row": Case(GOOD[: len(HEADER) + len(row(1)) + 25], counts=(2, 1, 1), lines=(3,)),
    "truncated_in_a_quote": Case(
        HEADER + row(1) + row(2, name='"Bakker, Installatie'), counts=(2, 1, 1), lines=(3,), reason="unterminated quote"
    ),
    "empty_file": Case("", "quarantined", reason="the file is empty"),
    "whitespace_only": Case("  \r\n\r\n", "quarantined", reason="the file is empty"),
    "header_only": Case(HEADER, counts=(0, 0, 0)),
    "binary_garbage": Case(
        bytes(NOISE.randrange(256) for _ in range(5000)), "quarantined", reason="header does not match"
    ),
    "binary_garbage_after_header": Case(HEADER.encode() + bytes(NOISE.randrange(256) for _ in range(3000))),
    "duplicated_header_line": Case(
        HEADER + row(1) + HEADER + row(2), counts=(3, 2, 1), lines=(3,), reason="repeated header line"
    ),
    "duplicated_header_column": Case(
        HEADER.replace("reference", "invoice_id") + row(1), "quarantined", reason="more than once: invoice_id"
    ),
    "utf8_bom": Case("\ufeff" + GOOD, counts=(5, 5, 0)),
    "cp1252_euro_in_a_utf8_layout": Case(
        (HEADER + row(1, name="Caf\u00e9 \u20ac-Zwaan") + row(2)).encode("cp1252"),
        counts=(2, 1, 1),
        lines=(2,),
        reason="not utf-8 encoded",
    ),
    "utf16": Case(GOOD.encode("utf-16"), "quarantined", reason="header does not match"),
    "mixed_line_endings": Case(
        HEADER.replace("\n", "\r\n") + row(1) + row(2).replace("\n", "\r\n") + row(3), counts=(3, 3, 0)
    ),
    "crlf_without_final_newline": Case(GOOD.replace("\n", "\r\n").rstrip("\r\n"), counts=(5, 5, 0)),
    "nul_bytes": Case(HEADER + row(1, name="Bak\x00ker") + row(2), counts=(2, 2, 0)),
    "blank_lines": Case(HEADER + row(1) + "\n\n" + row(2, amount="x") + "\n" + row(3), counts=(3, 2, 1), lines=(5,)),
    "delimiter_only_lines": Case(HEADER + row(1) + "," * 13 + "\n" + row(2) + "," * 13, counts=(2, 2, 0)),
    "quoted_line_breaks": Case(
        HEADER + row(1, name='"Bakker\nInstallatie\nBV"') + row(2, amount="bad") + row(3), counts=(3, 2, 1), lines=(5,)
    ),
    "field_over_2mb": Case(
        HEADER + row(1, name="x" * 3_000_000) + row(2), counts=(2, 1, 1), lines=(2,), reason="line size"
    ),
    "hostile_text": Case(HEADER + row(1, name=f'"{HOSTILE}"') + row(2), counts=(2, 2, 0)),
}


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        ensure_raw_tables(connection, LAYOUTS)
        yield connection


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / "inbox" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def load(con, path: Path, tmp_path: Path, registry=None) -> FileLoadResult:
    declared = layout_for_file(path, registry)
    assert declared is not None, path.name
    layout, export_date = declared
    return load_export_file(con, path, layout, export_date, "load-1", tmp_path / "quarantine", registry=registry)


def assert_accounted(con, result: FileLoadResult, tmp_path: Path) -> None:
    """The ledger accounts for every row of the file, whatever happened to it."""
    raw_tables = [layout.raw_table for layout in LAYOUTS]
    in_raw = sum(
        con.execute(f"select count(*) from {table} where _content_hash = ?", [result.content_hash]).fetchone()[0]
        for table in raw_tables
        if not table.endswith("invoice_lines") or "ubl" not in table
    )
    rejected_lines = con.execute(
        "select count(distinct line) from raw_meta.rejects where content_hash = ?", [result.content_hash]
    ).fetchone()[0]
    booked = con.execute(
        "select status, rows_read, rows_loaded, rows_rejected from raw_meta.loaded_files where content_hash = ?",
        [result.content_hash],
    ).fetchall()
    assert booked == [(result.status, result.rows_read, result.rows_loaded, result.rows_rejected)]
    if result.status == "loaded":
        assert result.rows_read == result.rows_loaded + result.rows_rejected
        assert in_raw == result.rows_loaded
        assert rejected_lines == result.rows_rejected
    else:
        assert result.status == "quarantined"
        assert (in_raw, rejected_lines, result.rows_read) == (0, 0, 0)
        moved = tmp_path / "quarantine" / result.source_file
        assert moved.exists()
        assert Path(f"{moved}.reason.txt").read_text(encoding="utf-8").strip() == result.reason
        assert result.source_file in result.reason


def check(con, tmp_path: Path, result: FileLoadResult, case: Case) -> None:
    assert_accounted(con, result, tmp_path)
    assert result.status == case.status, result.reason
    if case.counts is not None:
        assert (result.rows_read, result.rows_loaded, result.rows_rejected) == case.counts
    rejects = con.execute(
        "select line, reason from raw_meta.rejects where content_hash = ? order by line", [result.content_hash]
    ).fetchall()
    if case.lines is not None:
        assert tuple(sorted({line for line, _ in rejects})) == case.lines
    if case.reason is not None:
        text = result.reason if case.status == "quarantined" else rejects[0][1]
        assert case.reason in text


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_broken_csv_is_accounted_for(con, tmp_path, name):
    case = CSV_CASES[name]
    path = write(tmp_path, "billing_invoices_20240131.csv", case.content)
    result = load(con, path, tmp_path)
    check(con, tmp_path, result, case)


def test_every_row_of_a_ragged_file_lands_somewhere_with_its_text(con, tmp_path):
    path = write(tmp_path, "billing_invoices_20240131.csv", CSV_CASES["ragged_rows"].content)
    load(con, path, tmp_path)
    loaded = con.execute("select invoice_id, _row_number from raw_billing.invoices order by 2").fetchall()
    rejected = con.execute("select line, raw_line from raw_meta.rejects order by line").fetchall()
    assert loaded == [("INV0001", 1), ("INV0004", 4)]
    assert rejected[0] == (3, "INV0002,F2,invoice")
    assert rejected[1][1].endswith(",extra,more")


def test_hostile_text_and_nul_bytes_go_through_unchanged(con, tmp_path):
    load(con, write(tmp_path, "billing_invoices_20240131.csv", CSV_CASES["hostile_text"].content), tmp_path)
    load(con, write(tmp_path, "billing_invoices_20240201.csv", CSV_CASES["nul_bytes"].content), tmp_path)
    names = [
        name
        for (name,) in con.execute(
            "select customer_name from raw_billing.invoices order by _load_id, _source_file, _row_number"
        ).fetchall()
    ]
    assert HOSTILE in names
    assert "Bak\x00ker" in names
    assert con.execute("select count(*) from raw_billing.invoices").fetchone()[0] == 4


MAPPING = """
source: billing
tables:
  invoices:
    files:
      - name: Dutch accounting export
        glob: ["facturen_*.csv", "facturen_*.xlsx"]
        dialect:
          delimiter: ";"
          encoding: cp1252
          decimal_separator: ","
          thousands_separator: "."
          currency_symbols: ["€"]
          date_formats: ["%d-%m-%Y"]
        headers:
          invoice_id: Factuurnummer
          invoice_number: Factuurnummer
          invoice_date: Factuurdatum
          customer_name: Debiteur
          currency: Valuta
          net_amount: Bedrag excl. BTW
          vat_amount: BTW
          total_amount: Totaal
        ignore_columns: [Omschrijving]
"""
DUTCH_HEADER = "Factuurnummer;Factuurdatum;Debiteur;Valuta;Bedrag excl. BTW;BTW;Totaal;Omschrijving\r\n"


@pytest.fixture
def dutch(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "boekhouding.yml").write_text(MAPPING, encoding="utf-8")
    return registry_for(tmp_path / "mappings")


def test_a_cp1252_export_with_euro_signs_loads_through_a_mapping(con, tmp_path, dutch):
    text = (
        DUTCH_HEADER
        + "2024-001;31-01-2024;Café De Zwaan;EUR;€ 1.234,56;259,26;€ 1.493,82;Advies – januari\r\n"
        + "2024-002;31-02-2024;Bakker;EUR;1.234.56;0;12x;\r\n"
        + "2024-003;01-02-2024;Bakker;EUR;-500,00;-105,00;-605,00;creditnota\r\n"
    )
    path = write(tmp_path, "facturen_2024-02-29.csv", text.encode("cp1252"))
    result = load(con, path, tmp_path, dutch)
    check(con, tmp_path, result, Case(b"", counts=(3, 2, 1), lines=(3,)))
    assert con.execute(
        "select invoice_id, invoice_number, customer_name, invoice_date::varchar, invoice_date__raw, "
        "net_amount::varchar, net_amount__raw, total_amount::varchar from raw_billing.invoices order by _row_number"
    ).fetchall() == [
        ("2024-001", "2024-001", "Café De Zwaan", "2024-01-31", "31-01-2024", "1234.56", "€ 1.234,56", "1493.82"),
        ("2024-003", "2024-003", "Bakker", "2024-02-01", "01-02-2024", "-500.00", "-500,00", "-605.00"),
    ]
    reasons = con.execute("select column_name, reason from raw_meta.rejects order by column_name").fetchall()
    assert reasons == [
        ("invoice_date", "value '31-02-2024' does not parse as date (expected %d-%m-%Y)"),
        ("net_amount", "value '1.234.56' does not parse as decimal(18,2) (decimal separator ',', thousands '.')"),
        ("total_amount", "value '12x' does not parse as decimal(18,2) (decimal separator ',', thousands '.')"),
    ]


def test_a_dutch_sheet_writes_typed_cells_in_its_dialect_and_keeps_text_as_typed(con, tmp_path, dutch):
    """Numbers and dates written in the mapping's dialect (`1234,56`, `31-01-2024`); a cell typed as text
    stays as typed (`1.234` is a thousand here, not one and a bit). The sheet starts in column B."""
    header = DUTCH_HEADER.strip().split(";")
    rows = [
        header,
        ["2024-001", dt.date(2024, 1, 31), "Café", "EUR", 1234.56, 259.26, 1493.82, "x"],
        [],
        ["2024-002", "31-01-2024", "Bakker", "EUR", "1.234", 0, "1.234,50", None],
        ["2024-003", dt.datetime(2024, 2, 1, 15, 30), "Bakker", "EUR", -500, -105.5, -605.5, "2024-02-01 10:00:00"],
    ]
    path = write(tmp_path, "facturen_2024-02-29.xlsx", _workbook([[None, *values] for values in rows]))
    result = load(con, path, tmp_path, dutch)
    check(con, tmp_path, result, Case(b"", counts=(3, 3, 0)))
    assert con.execute(
        "select _row_number, invoice_date::varchar, invoice_date__raw, net_amount::varchar, net_amount__raw, "
        "vat_amount__raw, total_amount::varchar from raw_billing.invoices order by _row_number"
    ).fetchall() == [
        (1, "2024-01-31", "31-01-2024", "1234.56", "1234,56", "259,26", "1493.82"),
        (3, "2024-01-31", "31-01-2024", "1234.00", "1.234", "0", "1234.50"),
        (4, "2024-02-01", "01-02-2024", "-500.00", "-500", "-105,5", "-605.50"),
    ]


def test_a_utf8_export_declared_cp1252_still_loads_every_byte(con, tmp_path, dutch):
    """Windows-1252 leaves five bytes undefined: they are read as Latin-1 controls, not lost."""
    raw = DUTCH_HEADER.encode("cp1252") + b"2024-001;31-01-2024;X\x81Y;EUR;1,00;0,21;1,21;\r\n"
    result = load(con, write(tmp_path, "facturen_20240131.csv", raw), tmp_path, dutch)
    assert (result.rows_read, result.rows_loaded) == (1, 1)
    assert con.execute("select customer_name from raw_billing.invoices").fetchone()[0] == "X\x81Y"


def _workbook(rows: list[list], title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_rows() -> list[list]:
    header = HEADER.strip().split(",")
    good = ["INV0001", "F1", "invoice", "C1", "Bakker", None, dt.date(2024, 1, 31), dt.datetime(2024, 2, 14, 9, 30)]
    return [
        header,
        good + ["EUR", 100.0, 21, 121.0, "D0000001", None],
        [],  # an empty row is no record
        ["INV0002", "F2", "invoice", "C1", "Bakker", None, "31-01-2024", None, "EUR", "12x", 0, 0, None, None],
        ["INV0003", "F3", "invoice", "C1", "Bakker", None, dt.date(2024, 1, 31), None, "EUR", 1, 0, 1, None, None, "?"],
        [
            "INV0004",
            "F4",
            "credit_note",
            "C1",
            "Bakker",
            "01234567",
            "2024-02-01",
            None,
            "EUR",
            -0.1,
            0,
            -0.1,
            None,
            "F1",
        ],
    ]


EXCEL_CASES: dict[str, Case] = {
    "cells_that_do_not_parse": Case(_workbook(_excel_rows()), counts=(4, 2, 2), lines=(4, 5)),
    "truncated_workbook": Case(_workbook(_excel_rows())[:700], "quarantined", reason="not a readable .xlsx"),
    "csv_named_xlsx": Case(GOOD, "quarantined", reason="not a readable .xlsx"),
    "zip_without_a_workbook": Case(b"", "quarantined", reason="not a readable .xlsx"),
    "empty_sheet": Case(_workbook([]), "quarantined", reason="the sheet is empty"),
    "header_only": Case(_workbook(_excel_rows()[:1]), counts=(0, 0, 0)),
    "renamed_column": Case(
        _workbook([[("net" if c == "net_amount" else c) for c in HEADER.strip().split(",")]]),
        "quarantined",
        reason="missing column(s) net_amount",
    ),
}


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(EXCEL_CASES))
def test_broken_excel_is_accounted_for(con, tmp_path, name):
    case = EXCEL_CASES[name]
    content = _zip_without_workbook() if name == "zip_without_a_workbook" else case.content
    result = load(con, write(tmp_path, "billing_invoices_20240131.xlsx", content), tmp_path)
    check(con, tmp_path, result, case)


def test_excel_rows_keep_sheet_row_numbers_and_typed_cells(con, tmp_path):
    load(
        con, write(tmp_path, "billing_invoices_20240131.xlsx", EXCEL_CASES["cells_that_do_not_parse"].content), tmp_path
    )
    assert con.execute(
        "select invoice_id, _row_number, invoice_date::varchar, due_date::varchar, net_amount::varchar, "
        "net_amount__raw, customer_kvk from raw_billing.invoices order by _row_number"
    ).fetchall() == [
        ("INV0001", 1, "2024-01-31", "2024-02-14", "100.00", "100", None),
        ("INV0004", 5, "2024-02-01", None, "-0.10", "-0.1", "01234567"),
    ]
    assert con.execute(
        "select line, column_name, reason from raw_meta.rejects order by line, column_name"
    ).fetchall() == [
        (4, "invoice_date", "value '31-01-2024' does not parse as date (expected %Y-%m-%d)"),
        (4, "net_amount", "value '12x' does not parse as decimal(18,2)"),
        (5, "", "too many columns: a value beyond the 14 columns of the header row"),
    ]


def test_each_excel_cell_is_written_from_its_type_in_the_sheet_dialect(tmp_path):
    """Booleans in the dialect's words, a time of day as such, a date-time by its column's type (untyped:
    a date at midnight, else a timestamp); text that looks like a number, a boolean or a date stays."""
    dialect = Dialect(
        decimal_separator=",",
        date_formats=("%d-%m-%Y",),
        timestamp_formats=("%d-%m-%Y %H:%M",),
        true_values=("ja",),
        false_values=("nee",),
    )
    spec = FileSpec("crm_deals", "test", False, ("*.xlsx",), (), "xlsx", dialect, "exact", (), (), (), (), header_row=2)
    rows = [
        ["export of 31-01-2024"],
        ["flag", "when", "day", "at", "amount", "note"],
        [True, dt.datetime(2024, 1, 31), dt.datetime(2024, 1, 31, 15, 30), dt.date(2024, 2, 1), 1.5, "1.5"],
        ["true", dt.datetime(2024, 1, 31, 9, 5), dt.time(9, 30), "2024-02-01 00:00:00", -2, "true"],
        [False, 2.5, None, None, "12,5", 0.25],
    ]
    path = tmp_path / "deals.xlsx"
    path.write_bytes(_workbook(rows))
    sheet = excel.read_sheet(path, spec)
    assert sheet.header == ["flag", "when", "day", "at", "amount", "note"]
    with duckdb.connect() as con:
        staged = excel.stage_sheet(con, sheet, ["boolean", None, "date", "timestamp", "decimal(18,2)", None], dialect)
        assert (staged.rows, staged.rejected) == (3, 0)
        assert con.execute("select * from _dl_read order by _line").fetchall() == [
            (3, 1, "ja", "31-01-2024", "31-01-2024", "01-02-2024 00:00", "1,5", "1.5"),
            (4, 2, "true", "31-01-2024 09:05", "09:30:00", "2024-02-01 00:00:00", "-2", "true"),
            (5, 3, "nee", "2,5", None, None, "12,5", "0,25"),
        ]


def _records(*records) -> str:
    return json.dumps({"records": list(records)})


def _opportunity(ref: int, amount: str = "10.00") -> dict:
    return {
        "Name": f"Deal {ref}",
        "StageName": "Prospecting",
        "Amount": amount,
        "CloseDate": "2024-03-01",
        "attributes": {"type": "Opportunity", "referenceId": f"OpportunityRef{ref}"},
    }


JSON_CASES: dict[str, Case] = {
    "good": Case(_records(_opportunity(1), _opportunity(2)), counts=(2, 2, 0)),
    "invalid_json": Case(_records(_opportunity(1))[:-7], "quarantined", reason="not valid JSON"),
    "empty_file": Case("", "quarantined", reason="the file is empty"),
    "no_records_list": Case(json.dumps({"rows": []}), "quarantined", reason="no 'records' list"),
    "records_not_a_list": Case(json.dumps({"records": {"a": 1}}), "quarantined", reason="is not a list"),
    "record_not_an_object": Case(
        _records(_opportunity(1), "just text", [1, 2], _opportunity(4)),
        counts=(4, 2, 2),
        lines=(2, 3),
        reason="record is not a JSON object",
    ),
    "bad_amount": Case(_records(_opportunity(1), _opportunity(2, "12,50")), counts=(2, 1, 1), lines=(2,)),
    "new_field": Case(
        _records({**_opportunity(1), "Colour": "red"}), "quarantined", reason="unexpected column(s) Colour"
    ),
    "binary_garbage": Case(bytes(NOISE.randrange(256) for _ in range(2000)), "quarantined", reason="not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_broken_json_records_are_accounted_for(con, tmp_path, name):
    case = JSON_CASES[name]
    result = load(con, write(tmp_path, "Opportunities_20240131.json", case.content), tmp_path)
    check(con, tmp_path, result, case)


def test_json_values_are_read_as_the_cells_a_sheet_would_hold(con, tmp_path):
    """Numbers in plain decimal text, booleans in the dialect's words, nested objects as dotted fields;
    the header is the fields' union in first-seen order (a nested object's keys together). A record that
    repeats a key is rejected."""
    document = (
        '{"records": ['
        '{"Name": "Deal 1", "StageName": "Prospecting", "Amount": 100000.0, "Probability": 1e-4, "IsWon": true,'
        ' "FiscalYear": 2024,'
        ' "attributes": {"type": "Opportunity", "referenceId": "Ref1", "tags": [1, "a"], "meta": {}}},'
        '{"attributes": {"referenceId": "Ref2"}, "StageName": "Closed Won", "IsClosed": false,'
        ' "Amount": -0.0, "Big_Number__c": 123456789012345678901234567890, "Tiny__c": 2.5e-10, "Whole__c": 5.0},'
        "{},"
        '{"attributes": {"referenceId": "Ref4", "referenceId": "Ref5"}, "StageName": "Lost"},'
        '{"attributes": {"referenceId": "Ref6", "say \\"hi\\"": {"x": 1, "x": 2}}, "StageName": "Lost"}'
        "]}"
    )
    result = load(con, write(tmp_path, "Opportunities_20240131.json", document), tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 3, 2)
    no_extra = dict.fromkeys(
        ["attributes.type", "attributes.tags", "attributes.meta", 'attributes.say "hi".x']
        + ["Big_Number__c", "Tiny__c", "Whole__c"]
    )
    rows = con.execute(
        "select id, stage_name, amount::varchar, probability::varchar, is_won, is_closed, fiscal_year, _extra "
        "from raw_salesforce.opportunities order by _row_number"
    ).fetchall()
    assert list(json.loads(rows[0][-1])) == list(no_extra)  # first-seen order, an object's keys together
    assert [(*row[:-1], json.loads(row[-1])) for row in rows] == [
        (
            "Ref1",
            "Prospecting",
            "100000.00",
            "0.0001",
            True,
            None,
            2024,
            {**no_extra, "attributes.type": "Opportunity", "attributes.tags": '[1,"a"]', "attributes.meta": "{}"},
        ),
        (
            "Ref2",
            "Closed Won",
            "0.00",
            None,
            None,
            False,
            None,
            {
                **no_extra,
                "Big_Number__c": "123456789012345678901234567890",
                "Tiny__c": "0.00000000025",
                "Whole__c": "5",
            },
        ),
        (None, None, None, None, None, None, None, no_extra),  # an empty record is a row without values
    ]
    assert con.execute(
        "select line, reason from raw_meta.rejects where content_hash = ?", [result.content_hash]
    ).fetchall() == [
        (4, "key attributes.referenceId appears twice in the record"),
        (5, 'key attributes.say "hi".x appears twice in the record'),
    ]


@pytest.mark.parametrize("second", [_records(_opportunity(2)), json.dumps({"done": True})])
def test_json_with_two_documents_is_quarantined(con, tmp_path, second):
    result = load(con, write(tmp_path, "Opportunities_20240131.json", _records(_opportunity(1)) + second), tmp_path)
    assert result.status == "quarantined"
    assert result.reason == "Opportunities_20240131.json: not valid JSON: 2 values where one document was expected"


def test_a_json_document_too_large_for_the_memory_limit_is_quarantined_saying_so(con, tmp_path):
    con.execute("set memory_limit = '16MB'")
    document = _records(*(_opportunity(number) for number in range(20_000)))
    result = load(con, write(tmp_path, "Opportunities_20240131.json", document), tmp_path)
    check(
        con, tmp_path, result, Case(document, "quarantined", reason="does not fit in DuckDB's memory limit (15.2 MiB)")
    )
    assert result.reason.endswith("split the export or raise DEALLEDGER_DUCKDB_MEMORY_LIMIT")


UBL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>F2024-17</cbc:ID>
  <cbc:IssueDate>2024-01-31</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-4711</cbc:ID></cac:OrderReference>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Bakker BV</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="HUR">2</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Advies</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">50</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""

UBL_CASES: dict[str, Case] = {
    "good": Case(UBL, counts=(1, 1, 0)),
    "truncated": Case(UBL[: len(UBL) // 2], counts=(1, 0, 1), lines=(1,), reason="not well-formed XML"),
    "bad_amount": Case(
        UBL.replace(">121.00<", ">121,00<"),
        counts=(1, 0, 1),
        lines=(1,),
        reason="cac:LegalMonetaryTotal/cbc:PayableAmount",
    ),
    "bad_line_quantity": Case(
        UBL.replace(">2</cbc:InvoicedQuantity>", ">two</cbc:InvoicedQuantity>"),
        counts=(1, 0, 1),
        reason="cac:InvoiceLine[1]/cbc:InvoicedQuantity",
    ),
    "missing_id": Case(
        UBL.replace("<cbc:ID>F2024-17</cbc:ID>", ""), counts=(1, 0, 1), reason="required element cbc:ID"
    ),
    "entity_expansion": Case(
        UBL.replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        ).replace("Bakker BV", "&b;"),
        counts=(1, 0, 1),
        reason="DTDs and entity declarations are not allowed",
    ),
    "not_ubl": Case('<?xml version="1.0"?><order><id>1</id></order>', "quarantined", reason="not a UBL 2.1 Invoice"),
    "binary_garbage": Case(
        bytes(NOISE.randrange(256) for _ in range(2000)), "quarantined", reason="not an XML document"
    ),
    "empty_file": Case("", "quarantined", reason="the file is empty"),
}


@pytest.mark.parametrize("name", sorted(UBL_CASES))
def test_broken_ubl_documents_are_accounted_for(con, tmp_path, name):
    case = UBL_CASES[name]
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", case.content), tmp_path)
    check(con, tmp_path, result, case)
    lines = con.execute("select count(*) from raw_ubl.invoice_lines where _content_hash = ?", [result.content_hash])
    assert lines.fetchone()[0] == (1 if result.rows_loaded else 0)  # a document loads whole or not at all


# Three lines whose text CSV must quote (quotes, commas, a line break), with white space around values
# (a no-break space too), a comment inside a value, an empty element, and a unit code written with spaces;
# a comment inside one of the document's own values too.
UBL_TEXT_LINES = UBL.replace("Bakker BV", "Bakker<!-- B.V.? --> BV").replace(
    "</cac:InvoiceLine>\n",
    """</cac:InvoiceLine>
  <cac:InvoiceLine><cbc:ID> 2 </cbc:ID><cbc:Note>\u00a0Zie "bijlage", p. 3,
    regel 2\u00a0</cbc:Note><cbc:InvoicedQuantity unitCode=" DAY ">1.5</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">
      0.00
    </cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Rei<!-- sic -->skosten</cbc:Name><cbc:Description></cbc:Description></cac:Item>
  </cac:InvoiceLine>
  <cac:InvoiceLine><cbc:ID>3</cbc:ID><cbc:InvoicedQuantity>1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">0</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>"</cbc:Name></cac:Item>
  </cac:InvoiceLine>
""",
)


def test_ubl_lines_keep_their_text_as_the_document_fields_do(con, tmp_path):
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", UBL_TEXT_LINES), tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0)
    rows = con.execute(
        "select document_id, document_type, line_number, line_id, note, quantity::varchar, unit_code, "
        "line_extension_amount::varchar, item_name, item_description "
        "from raw_ubl.invoice_lines order by line_number"
    ).fetchall()
    assert rows == [
        ("F2024-17", "invoice", 1, "1", None, "2.0000", "HUR", "100.00", "Advies", None),
        (
            "F2024-17",
            "invoice",
            2,
            "2",
            'Zie "bijlage", p. 3,\n    regel 2',
            "1.5000",
            "DAY",
            "0.00",
            "Reiskosten",
            None,
        ),
        ("F2024-17", "invoice", 3, "3", None, "1.0000", None, "0.00", '"', None),
    ]
    assert con.execute("select customer_name, line_count from raw_ubl.invoices").fetchall() == [("Bakker BV", 3)]


def test_a_bad_value_on_a_later_ubl_line_names_that_line(con, tmp_path):
    content = UBL_TEXT_LINES.replace(">1.5</cbc:InvoicedQuantity>", ">1,5</cbc:InvoicedQuantity>")
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", content), tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 0, 1)
    assert con.execute("select line, column_name, raw_line, reason from raw_meta.rejects").fetchall() == [
        (
            1,
            "cac:InvoiceLine[2]/cbc:InvoicedQuantity",
            "1,5",
            "cac:InvoiceLine[2]/cbc:InvoicedQuantity: value '1,5' does not parse as decimal(18,4)",
        )
    ]
    assert con.execute("select count(*) from raw_ubl.invoice_lines").fetchone() == (0,)


def test_a_ubl_invoice_with_an_embedded_pdf_over_ten_megabytes_and_a_long_line_note_loads(con, tmp_path):
    attachment = (
        "<cac:AdditionalDocumentReference><cbc:ID>F2024-17.pdf</cbc:ID><cac:Attachment>"
        '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="F2024-17.pdf">'
        + "JVBERi0x" * 1_500_000  # 12 MB of base64: libxml2 refuses a text over 10 MB unless told otherwise
        + "</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
    )
    content = UBL.replace("  <cac:AccountingCustomerParty>", attachment + "\n  <cac:AccountingCustomerParty>")
    # and a line whose note is longer than the longest CSV record DuckDB reads unless told
    content = content.replace("<cbc:ID>1</cbc:ID>", "<cbc:ID>1</cbc:ID><cbc:Note>" + "n" * 3_000_000 + "</cbc:Note>")
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", content), tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert con.execute("select document_id, line_count from raw_ubl.invoices").fetchall() == [("F2024-17", 1)]
    assert con.execute("select length(note) from raw_ubl.invoice_lines").fetchall() == [(3_000_000,)]


def test_ubl_values_are_an_elements_own_text_and_may_hold_a_carriage_return(con, tmp_path):
    # A child element's text is not the value's (as ElementTree's `.text`, for the lines as for the
    # document); a CR written as a character reference is text, in the first CSV record too.
    content = (
        UBL.replace("<cbc:ID>F2024-17</cbc:ID>", "<cbc:ID>F2024-17<x>-9</x></cbc:ID>")
        .replace("Bakker BV", "Bakker&#13;BV")
        .replace("<cbc:Name>Advies</cbc:Name>", "<cbc:Name>Ad&#13;vies <x>extra</x></cbc:Name>")
        .replace(">2</cbc:InvoicedQuantity>", ">2<x>5</x></cbc:InvoicedQuantity>")
    )
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", content), tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert con.execute("select document_id, customer_name from raw_ubl.invoices").fetchall() == [
        ("F2024-17", "Bakker\rBV")
    ]
    assert con.execute("select document_id, item_name, quantity::varchar from raw_ubl.invoice_lines").fetchall() == [
        ("F2024-17", "Ad\rvies", "2.0000")
    ]


def test_each_malformed_ubl_document_gets_its_own_parse_error(con, tmp_path):
    # lxml's process-wide error log keeps every earlier file's errors: each reason must be its file's.
    first = load(con, write(tmp_path, "invoice_1.xml", UBL.replace("Advies", "&#xFFFE;")), tmp_path)
    second = load(con, write(tmp_path, "invoice_2.xml", UBL.replace("</cbc:Name></cac:Item>", "</cac:Item>")), tmp_path)
    reasons = dict(con.execute("select source_file, reason from raw_meta.rejects").fetchall())
    assert (first.rows_rejected, second.rows_rejected) == (1, 1)
    assert reasons["invoice_1.xml"].startswith("not well-formed XML at line 19, column 33: xmlParseCharRef")
    assert reasons["invoice_2.xml"].startswith("not well-formed XML at line 19, column 42: Opening and ending tag")


def test_a_dtd_is_refused_in_any_encoding(con, tmp_path):
    content = UBL_CASES["entity_expansion"].content.replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'
    )
    result = load(con, write(tmp_path, "invoice_F2024-17.xml", content.encode("utf-16")), tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 0, 1)
    assert con.execute("select column_name, reason from raw_meta.rejects").fetchall() == [
        ("<!DOCTYPE>", "DTDs and entity declarations are not allowed in a UBL e-invoice")
    ]


@pytest.mark.parametrize("batch", [loader.UBL_BATCH, 2])
def test_ubl_documents_loaded_together_are_each_accounted_for(con, tmp_path, monkeypatch, batch):
    # In this order: a clean document; one whose second line does not parse; the first again under another
    # name; a file that is no UBL; a truncated document; a clean document of three lines. In one batch, and
    # in batches of two (the repeated file in another batch than the first).
    monkeypatch.setattr(loader, "UBL_BATCH", batch)
    contents = {
        "invoice_a.xml": UBL,
        "invoice_b.xml": UBL_TEXT_LINES.replace(">1.5</cbc:InvoicedQuantity>", ">1,5</cbc:InvoicedQuantity>"),
        "invoice_c.xml": UBL,
        "invoice_d.xml": '<?xml version="1.0"?><order><id>1</id></order>',
        "invoice_e.xml": UBL[: len(UBL) // 2],
        "invoice_f.xml": UBL_TEXT_LINES.replace("F2024-17", "F2024-18"),
    }
    files = [(write(tmp_path, name, content), "2024-01-31") for name, content in contents.items()]
    layout = LAYOUTS_BY_KIND["ubl_invoices"]
    results = load_ubl_documents(con, files, layout, "load-1", tmp_path / "quarantine")
    assert [(r.source_file, r.status, r.rows_read, r.rows_loaded, r.rows_rejected) for r in results] == [
        ("invoice_a.xml", "loaded", 1, 1, 0),
        ("invoice_b.xml", "loaded", 1, 0, 1),
        ("invoice_c.xml", "skipped", 0, 0, 0),
        ("invoice_d.xml", "quarantined", 0, 0, 0),
        ("invoice_e.xml", "loaded", 1, 0, 1),
        ("invoice_f.xml", "loaded", 1, 1, 0),
    ]
    assert con.execute(
        "select _source_file, document_id, line_count, _row_number from raw_ubl.invoices order by all"
    ).fetchall() == [("invoice_a.xml", "F2024-17", 1, 1), ("invoice_f.xml", "F2024-18", 3, 1)]
    assert con.execute(
        "select _source_file, document_id, line_number, _row_number, quantity::varchar, _export_date::varchar "
        "from raw_ubl.invoice_lines order by all"
    ).fetchall() == [
        ("invoice_a.xml", "F2024-17", 1, 1, "2.0000", "2024-01-31"),
        ("invoice_f.xml", "F2024-18", 1, 1, "2.0000", "2024-01-31"),
        ("invoice_f.xml", "F2024-18", 2, 2, "1.5000", "2024-01-31"),
        ("invoice_f.xml", "F2024-18", 3, 3, "1.0000", "2024-01-31"),
    ]
    rejects = con.execute("select source_file, line, column_name, reason from raw_meta.rejects order by all")
    assert [(file, line, column, reason[:40]) for file, line, column, reason in rejects.fetchall()] == [
        ("invoice_b.xml", 1, "cac:InvoiceLine[2]/cbc:InvoicedQuantity", "cac:InvoiceLine[2]/cbc:InvoicedQuantity:"),
        ("invoice_e.xml", 1, "", "not well-formed XML at line 11, column 2"),
    ]
    ledger = con.execute("select source_file, status, rows_read, rows_loaded, rows_rejected from raw_meta.loaded_files")
    assert sorted(ledger.fetchall()) == [
        ("invoice_a.xml", "loaded", 1, 1, 0),
        ("invoice_b.xml", "loaded", 1, 0, 1),
        ("invoice_d.xml", "quarantined", 0, 0, 0),
        ("invoice_e.xml", "loaded", 1, 0, 1),
        ("invoice_f.xml", "loaded", 1, 1, 0),
    ]


def test_a_ubl_document_duckdb_cannot_stage_is_quarantined_alone(con, tmp_path, monkeypatch):
    # Were a document's lines ever written as CSV that DuckDB cannot read, the batch is loaded file by
    # file: that file is quarantined with DuckDB's reason, the others load.
    lines_csv = ubl.UblDocument.lines_csv

    def unreadable_for_f2024_18(document, columns, number, lines_before):
        text = lines_csv(document, columns, number, lines_before)
        return text + '1,1,1,"never closed\n' if document.fields["document_id"] == "F2024-18" else text

    monkeypatch.setattr(ubl.UblDocument, "lines_csv", unreadable_for_f2024_18)
    contents = {"invoice_a.xml": UBL, "invoice_b.xml": UBL.replace("F2024-17", "F2024-18")}
    contents["invoice_c.xml"] = UBL.replace("F2024-17", "F2024-19")
    contents["invoice_d.xml"] = contents["invoice_b.xml"]  # the same bytes again: quarantined as well
    files = [(write(tmp_path, name, content), "2024-01-31") for name, content in contents.items()]
    results = load_ubl_documents(con, files, LAYOUTS_BY_KIND["ubl_invoices"], "load-1", tmp_path / "quarantine")
    assert [(r.source_file, r.status, r.rows_loaded) for r in results] == [
        ("invoice_a.xml", "loaded", 1),
        ("invoice_b.xml", "quarantined", 0),
        ("invoice_c.xml", "loaded", 1),
        ("invoice_d.xml", "quarantined", 0),
    ]
    assert results[1].reason.startswith("invoice_b.xml: cannot be read: Invalid Input Error: CSV Error")
    assert (tmp_path / "quarantine" / "invoice_b.xml").exists()
    documents = con.execute("select document_id from raw_ubl.invoices order by 1").fetchall()
    assert documents == [("F2024-17",), ("F2024-19",)]


def test_ubl_files_read_in_two_dialects_load_together_each_in_its_own(con, tmp_path):
    # A mapping reads one supplier's files with "N/A" as null; the built-in spec reads the others.
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "vendor.yml").write_text(
        'source: ubl\ntables:\n  invoices:\n    files:\n      - glob: "vendor_*.xml"\n        format: ubl_xml\n'
        '        dialect: {null_values: ["N/A"]}\n',
        encoding="utf-8",
    )
    registry = registry_for(tmp_path / "mappings")
    files = [
        (write(tmp_path, "vendor_1.xml", UBL.replace("Bakker BV", "N/A")), "2024-01-31"),
        (
            write(tmp_path, "invoice_2.xml", UBL.replace("F2024-17", "F2024-18").replace("Bakker BV", "N/A")),
            "2024-01-31",
        ),
    ]
    layout = LAYOUTS_BY_KIND["ubl_invoices"]
    results = load_ubl_documents(con, files, layout, "load-1", tmp_path / "quarantine", registry)
    assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 1), ("loaded", 1)]
    assert con.execute("select _source_file, customer_name from raw_ubl.invoices order by 1").fetchall() == [
        ("invoice_2.xml", "N/A"),
        ("vendor_1.xml", None),
    ]
