"""Reading JSON, Excel and UBL exports: dealledger's ingest against a reader that checks nothing.

    python -m benchmarks.readers --formats json,xlsx,ubl,ubl_documents --rows 100000,1000000

Generates one export per format and size: a Salesforce CLI data-tree export of opportunities
(`{"records": [...]}`, ten fields, one nested object), an Excel sheet of invoices (the billing layout:
fourteen columns, dates, date-times and amounts as typed cells), a Peppol UBL invoice with that many
lines (the rows of a UBL export are its lines), and (`ubl_documents`) a folder of that many UBL invoices
of one line each, a file each, as a Peppol access point delivers them. Each side runs in a process of
its own whose memory is sampled. The ingest loads the export into a new build database
(`load_export_file`: fields, cells in the dialect, typing, rejects, lineage; a folder of UBL documents
together, with `load_ubl_documents`, as the ingest asset does). The baseline reads the same export into
a table and checks nothing: DuckDB's `read_json`; fastexcel's sheet with the column types it infers for
Excel; for UBL, which DuckDB cannot read, lxml's parse and a stylesheet of its own that writes six fields
of each line as CSV for DuckDB. Prints wall time, peak memory, rows per second and the ingest's ratio to
the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from benchmarks.memory import run_measured
from benchmarks.run import _environment

STAGES = ("Prospecting", "Qualification", "Proposal", "Closed Won", "Closed Lost")
INVOICE_HEADER = [
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "customer_id",
    "customer_name",
    "customer_kvk",
    "invoice_date",
    "due_date",
    "currency",
    "net_amount",
    "vat_amount",
    "total_amount",
    "reference",
    "corrects_invoice_number",
]


def write_json_export(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    items = [
        {
            "attributes": {"type": "Opportunity", "referenceId": f"OpportunityRef{number}"},
            "Name": f"Deal {number}",
            "StageName": rng.choice(STAGES),
            "Amount": round(rng.uniform(100, 100_000), 2),
            "CloseDate": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "IsWon": rng.random() < 0.3,
            "Probability": rng.choice((10, 25, 50, 90)),
            "FiscalYear": 2024,
            "Description": rng.choice(("renewal", "new logo", None)),
            "LeadSource": None,
        }
        for number in range(rows)
    ]
    path.write_text(json.dumps({"totalSize": rows, "done": True, "records": items}), encoding="utf-8")


def write_xlsx_export(path: Path, rows: int, seed: int = 7) -> None:
    import openpyxl  # a development dependency, like the benchmarks

    rng = random.Random(seed)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Invoices")
    sheet.append(INVOICE_HEADER)
    first_day = dt.date(2024, 1, 1)
    for number in range(rows):
        net = round(rng.uniform(100, 10_000), 2)
        issued = first_day + dt.timedelta(days=number % 365)
        due = dt.datetime.combine(issued, dt.time(9, 30)) + dt.timedelta(days=30)
        customer = number % 1000
        sheet.append(
            [f"INV{number:07d}", f"F{number}", "invoice", f"C{customer}", f"Customer {customer}", None, issued, due]
            + ["EUR", net, round(net * 0.21, 2), round(net * 1.21, 2), f"D{number:07d}", None]
        )
    workbook.save(path)


UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>{document_id}</cbc:ID>
  <cbc:IssueDate>2024-01-31</cbc:IssueDate>
  <cbc:DueDate>2024-03-01</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-77</cbc:ID></cac:OrderReference>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{total}</cbc:LineExtensionAmount>
    <cbc:PayableAmount currencyID="EUR">{total}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{lines}</Invoice>
"""
UBL_LINE = """  <cac:InvoiceLine>
    <cbc:ID>{number}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="HUR">{quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>
    <cac:InvoicePeriod><cbc:StartDate>2024-01-01</cbc:StartDate><cbc:EndDate>2024-01-31</cbc:EndDate></cac:InvoicePeriod>
    <cac:Item>
      <cbc:Name>Consulting, "{item}"</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
"""


def _ubl_invoice(document_id: str, lines: int, rng: random.Random) -> str:
    written, total = [], 0
    for number in range(1, lines + 1):
        quantity, price = rng.randint(1, 40), rng.randint(50, 200)
        total += quantity * price
        written.append(
            UBL_LINE.format(number=number, quantity=quantity, amount=quantity * price, item=number, price=price)
        )
    return UBL_INVOICE.format(document_id=document_id, total=total, lines="".join(written))


def write_ubl_export(path: Path, rows: int, seed: int = 7) -> None:
    path.write_text(_ubl_invoice("F2024-0131", rows, random.Random(seed)), encoding="utf-8")


def write_ubl_documents(folder: Path, rows: int, seed: int = 7) -> None:
    """`rows` invoices of one line each, a file each: what a Peppol access point delivers."""
    rng = random.Random(seed)
    folder.mkdir()
    for number in range(rows):
        invoice = _ubl_invoice(f"F{number:07d}", 1, rng)
        (folder / f"invoice_{number:07d}_20240131.xml").write_text(invoice, encoding="utf-8")


# format: (export file name, or folder of files, writer)
EXPORTS: dict[str, tuple[str, Callable[[Path, int], None]]] = {
    "json": ("Opportunities_20240131.json", write_json_export),
    "xlsx": ("billing_invoices_20240131.xlsx", write_xlsx_export),
    "ubl": ("invoice_20240131.xml", write_ubl_export),
    "ubl_documents": ("invoices_20240131", write_ubl_documents),
}
# The UBL baseline's stylesheet: six fields of every line, text as it is, quoted for CSV.
UBL_LINES_AS_CSV = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">
  <xsl:output method="text"/>
  <xsl:template match="/*">
    <xsl:for-each select="cac:InvoiceLine">
      <xsl:for-each select="cbc:ID | cbc:InvoicedQuantity | cbc:LineExtensionAmount | cac:Item/cbc:Name
          | cac:Price/cbc:PriceAmount | cac:Item/cac:ClassifiedTaxCategory/cbc:Percent">
        <xsl:text>"</xsl:text><xsl:value-of select="str:replace(., '&quot;', '&quot;&quot;')"/><xsl:text>"</xsl:text>
        <xsl:if test="position() != last()"><xsl:text>,</xsl:text></xsl:if>
      </xsl:for-each>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>"""


def _read_baseline(con: duckdb.DuckDBPyConnection, export: Path) -> None:
    if export.suffix == ".xml" or export.is_dir():
        from lxml import etree

        stylesheet = etree.XSLT(etree.XML(UBL_LINES_AS_CSV))
        lines = export.with_suffix(".csv")
        documents = sorted(export.iterdir()) if export.is_dir() else [export]
        lines.write_text("".join(str(stylesheet(etree.parse(document))) for document in documents), encoding="utf-8")
        con.execute(f"create table export as select * from read_csv('{lines}', header = false, all_varchar = true)")
        return
    if export.suffix == ".json":
        con.execute(
            f"create table export as select unnest(records, recursive := true) "
            f"from read_json('{export}', maximum_object_size = {export.stat().st_size + 1})"
        )
        return
    import fastexcel
    import pyarrow as pa

    sheet = fastexcel.read_excel(export).load_sheet(0, eager=True)
    con.from_arrow(pa.Table.from_batches([sheet])).create("export")


def _child(side: str, export: Path, work_dir: Path) -> None:
    """One measured side, in its own process."""
    with duckdb.connect(str(work_dir / f"{side}.duckdb")) as con:
        if side == "baseline":
            _read_baseline(con, export)
            return
        from dealledger.ingest.layouts import LAYOUTS, layout_for_file
        from dealledger.ingest.loader import ensure_raw_tables, load_export_file, load_ubl_documents

        ensure_raw_tables(con, LAYOUTS)
        files = [(path, *layout_for_file(path)) for path in (sorted(export.iterdir()) if export.is_dir() else [export])]
        layout = files[0][1]
        if export.is_dir():  # the UBL documents of a day, loaded together as the ingest asset does
            documents = [(path, export_date) for path, _, export_date in files]
            results = load_ubl_documents(con, documents, layout, "benchmark", work_dir / "quarantine")
        else:
            results = [load_export_file(con, export, layout, files[0][2], "benchmark", work_dir / "quarantine")]
        for result in results:
            if result.status != "loaded" or result.rows_rejected:
                raise SystemExit(
                    f"{result.source_file}: {result.status}, {result.rows_rejected} rejected: {result.reason}"
                )


def measure(file_format: str, rows: int, work_dir: Path) -> dict[str, dict[str, float]]:
    folder = work_dir / file_format / str(rows)
    folder.mkdir(parents=True, exist_ok=True)
    name, write_export = EXPORTS[file_format]
    export = folder / name
    write_export(export, rows)
    sides = {}
    for side in ("ingest", "baseline"):
        # The ingest moves a file it quarantines: each side reads its own copy.
        copy = folder / side / export.name
        copy.parent.mkdir(exist_ok=True)
        (shutil.copytree if export.is_dir() else shutil.copyfile)(export, copy)
        command = [sys.executable, "-m", "benchmarks.readers", "--child", side, str(copy), str(copy.parent)]
        measured = run_measured(command, _environment(), folder / f"{side}.log")
        if measured.exit_code != 0:
            raise RuntimeError(f"{side} failed; see {folder / (side + '.log')}")
        sides[side] = {"seconds": measured.seconds, "peak_mib": measured.peak_bytes / 2**20}
    return sides


def report(file_format: str, rows: int, sides: dict[str, dict[str, float]]) -> str:
    ingest, baseline = sides["ingest"], sides["baseline"]
    lines = [
        f"{file_format}, {rows:,} rows",
        "| side | wall s | peak MiB | rows/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for side, result in sides.items():
        rate = rows / result["seconds"]
        lines.append(f"| {side} | {result['seconds']:.2f} | {result['peak_mib']:,.0f} | {rate:,.0f} |")
    lines.append(
        f"ratio ingest / baseline: time {ingest['seconds'] / baseline['seconds']:.2f} x, "
        f"peak memory {ingest['peak_mib'] / baseline['peak_mib']:.2f} x"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", default="json,xlsx", help=f"of {', '.join(EXPORTS)}, comma-separated")
    parser.add_argument("--rows", default="100000,1000000", help="rows per export, comma-separated")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "EXPORT", "WORK_DIR"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        side, export, work_dir = options.child
        _child(side, Path(export), Path(work_dir))
        return 0
    with tempfile.TemporaryDirectory(prefix="dealledger-readers-bench-") as scratch:
        work_dir = options.work_dir or Path(scratch)
        for file_format in options.formats.split(","):
            for rows in (int(text) for text in options.rows.split(",")):
                started = time.monotonic()
                sides = measure(file_format, rows, work_dir)
                print(report(file_format, rows, sides), f"\n(measured in {time.monotonic() - started:.0f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
