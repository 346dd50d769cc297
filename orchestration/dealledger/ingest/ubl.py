"""UBL 2.1 invoices and credit notes (Peppol BIS Billing 3.0): one XML file, one document.

The fields come from fixed UBL paths (below). The document's own row is read in Python, once per file;
its lines, the rows that grow with the document, are written as CSV by an XSLT stylesheet (libxslt,
through lxml) that DuckDB reads, so no Python runs per line. Their text goes through the same typed pass
as every other format. A document is atomic: it loads with all its lines or, when anything in it cannot
be read, not at all, with one ledger entry per problem (line 1 = the document, the element path as the
column).
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from dealledger.ingest.readers import QuarantineError

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}
ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": ("invoice", "InvoiceLine", "InvoicedQuantity"),
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": (
        "credit_note",
        "CreditNoteLine",
        "CreditedQuantity",
    ),
}
_SUPPLIER = "cac:AccountingSupplierParty/cac:Party/"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party/"
_TOTAL = "cac:LegalMonetaryTotal/"

# column -> path below the root element (ElementPath syntax with the cac/cbc prefixes, also valid XPath)
DOCUMENT_PATHS: dict[str, str] = {
    "document_id": "cbc:ID",
    "issue_date": "cbc:IssueDate",
    "currency": "cbc:DocumentCurrencyCode",
    "tax_currency": "cbc:TaxCurrencyCode",
    "buyer_reference": "cbc:BuyerReference",
    "order_reference": "cac:OrderReference/cbc:ID",
    "sales_order_reference": "cac:OrderReference/cbc:SalesOrderID",
    "contract_reference": "cac:ContractDocumentReference/cbc:ID",
    "project_reference": "cac:ProjectReference/cbc:ID",
    "billing_reference": "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
    "billing_reference_issue_date": "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate",
    "accounting_cost": "cbc:AccountingCost",
    "note": "cbc:Note",
    "payment_id": "cac:PaymentMeans/cbc:PaymentID",
    "supplier_name": _SUPPLIER + "cac:PartyName/cbc:Name",
    "supplier_registration_name": _SUPPLIER + "cac:PartyLegalEntity/cbc:RegistrationName",
    "supplier_vat": _SUPPLIER + "cac:PartyTaxScheme/cbc:CompanyID",
    "supplier_company_id": _SUPPLIER + "cac:PartyLegalEntity/cbc:CompanyID",
    "supplier_endpoint_id": _SUPPLIER + "cbc:EndpointID",
    "customer_name": _CUSTOMER + "cac:PartyName/cbc:Name",
    "customer_registration_name": _CUSTOMER + "cac:PartyLegalEntity/cbc:RegistrationName",
    "customer_vat": _CUSTOMER + "cac:PartyTaxScheme/cbc:CompanyID",
    "customer_company_id": _CUSTOMER + "cac:PartyLegalEntity/cbc:CompanyID",
    "customer_id": _CUSTOMER + "cac:PartyIdentification/cbc:ID",
    "customer_endpoint_id": _CUSTOMER + "cbc:EndpointID",
    "line_extension_amount": _TOTAL + "cbc:LineExtensionAmount",
    "net_amount": _TOTAL + "cbc:TaxExclusiveAmount",
    "tax_inclusive_amount": _TOTAL + "cbc:TaxInclusiveAmount",
    "allowance_total_amount": _TOTAL + "cbc:AllowanceTotalAmount",
    "charge_total_amount": _TOTAL + "cbc:ChargeTotalAmount",
    "prepaid_amount": _TOTAL + "cbc:PrepaidAmount",
    "payable_amount": _TOTAL + "cbc:PayableAmount",
    "customization_id": "cbc:CustomizationID",
    "profile_id": "cbc:ProfileID",
}
# Filled in code: document_type, type_code, due_date, customer_company_id_scheme, tax_amount,
# billing_references, line_count.
DOCUMENT_COMPUTED = (
    "document_type",
    "type_code",
    "due_date",
    "customer_company_id_scheme",
    "tax_amount",
    "billing_references",
    "line_count",
)
LINE_PATHS: dict[str, str] = {
    "line_id": "cbc:ID",
    "note": "cbc:Note",
    "line_extension_amount": "cbc:LineExtensionAmount",
    "accounting_cost": "cbc:AccountingCost",
    "order_line_reference": "cac:OrderLineReference/cbc:LineID",
    "period_start": "cac:InvoicePeriod/cbc:StartDate",
    "period_end": "cac:InvoicePeriod/cbc:EndDate",
    "item_name": "cac:Item/cbc:Name",
    "item_description": "cac:Item/cbc:Description",
    "sellers_item_id": "cac:Item/cac:SellersItemIdentification/cbc:ID",
    "standard_item_id": "cac:Item/cac:StandardItemIdentification/cbc:ID",
    "tax_category": "cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
    "vat_rate": "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
    "price_amount": "cac:Price/cbc:PriceAmount",
    "base_quantity": "cac:Price/cbc:BaseQuantity",
}
LINE_COMPUTED = ("document_id", "document_type", "line_number", "quantity", "unit_code")
DOCUMENT_COLUMNS = frozenset(DOCUMENT_PATHS) | frozenset(DOCUMENT_COMPUTED)
LINE_COLUMNS = frozenset(LINE_PATHS) | frozenset(LINE_COMPUTED)


@dataclass(frozen=True)
class Problem:
    column_name: str  # element path
    raw: str
    reason: str


@dataclass
class UblDocument:
    document_type: str
    line_tag: str  # InvoiceLine | CreditNoteLine
    quantity_tag: str  # InvoicedQuantity | CreditedQuantity
    fields: dict[str, str | None] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # document column -> element path
    problems: list[Problem] = field(default_factory=list)
    root: etree._Element | None = None

    @property
    def line_count(self) -> int:
        return int(self.fields.get("line_count") or 0)

    def row_csv(self, columns: list[str], number: int) -> str:
        """The document's row as a CSV record: `number` (its place among the documents staged together) as
        document and line, row 1, then the columns' values."""
        values = (_csv_field(self.fields.get(column)) for column in columns)
        return ",".join([str(number), str(number), "1", *values]) + "\n"

    def lines_csv(self, columns: list[str], number: int, lines_before: int) -> str:
        """One CSV record per line, by the stylesheet: the document's `number`, the line's place among all
        the lines staged together (after `lines_before`), its number in the document, the columns' text."""
        assert self.root is not None, "a document with problems has no lines to read"
        stylesheet = _lines_stylesheet(tuple(columns), self.line_tag, self.quantity_tag)
        text = {"document_type": self.document_type, "document_id": self.fields.get("document_id") or ""}
        parameters = {name: etree.XSLT.strparam(value) for name, value in text.items()}
        return str(stylesheet(self.root, number=str(number), lines_before=str(lines_before), **parameters))

    def line_path(self, number: int, column: str) -> str:
        """The element a line's column comes from, for a ledger entry."""
        line = f"cac:{self.line_tag}[{number}]"
        below_line = _line_paths(self.quantity_tag)
        if column in below_line:
            return f"{line}/{below_line[column]}"
        return {"document_id": "cbc:ID", "document_type": "(root element)", "line_number": line}[column]


def _csv_field(value: str | None) -> str:
    """Quoted with its quotes doubled, as the stylesheet writes the lines' (so a CR in it stays text); a
    missing value is an empty field, which DuckDB reads as null."""
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def _line_paths(quantity_tag: str) -> dict[str, str]:
    """column -> path below a line element."""
    return {**LINE_PATHS, "quantity": f"cbc:{quantity_tag}", "unit_code": f"cbc:{quantity_tag}/@unitCode"}


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@functools.lru_cache(maxsize=8)
def _lines_stylesheet(columns: tuple[str, ...], line_tag: str, quantity_tag: str) -> etree.XSLT:
    """Every field quoted, its quotes doubled (EXSLT str:replace): DuckDB reads the text as strict CSV.
    The text is written as the XML holds it; staging trims it as the document's fields are."""
    # column -> XPath from a line element: the line's own values, and what every line repeats of its
    # document. A value is an element's text before its first child, as the document's (ElementTree's
    # `.text`): `<cbc:Name>Foo <x>Bar</x></cbc:Name>` is "Foo" in both.
    expressions = {
        column: path if "/@" in path else f"({path})[1]/node()[1][self::text()]"
        for column, path in _line_paths(quantity_tag).items()
    } | {
        "document_id": "$document_id",
        "document_type": "$document_type",
        "line_number": "position()",
    }

    def quoted(column: str) -> str:
        text = f"""str:replace(string({expressions[column]}), '"', '""')"""
        return f'<xsl:text>"</xsl:text><xsl:value-of select="{_attribute(text)}"/><xsl:text>"</xsl:text>'

    fields = "<xsl:text>,</xsl:text>".join(quoted(column) for column in columns)
    source = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
        xmlns:cac="{CAC}" xmlns:cbc="{CBC}" xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">
      <xsl:output method="text" encoding="utf-8"/>
      <xsl:param name="document_type"/>
      <xsl:param name="document_id"/>
      <xsl:param name="number"/>
      <xsl:param name="lines_before"/>
      <xsl:template match="/*">
        <xsl:for-each select="cac:{line_tag}">
          <xsl:value-of select="$number"/><xsl:text>,</xsl:text>
          <xsl:value-of select="$lines_before + position()"/><xsl:text>,</xsl:text><xsl:value-of select="position()"/>
          <xsl:text>,</xsl:text>{fields}<xsl:text>&#10;</xsl:text>
        </xsl:for-each>
      </xsl:template>
    </xsl:stylesheet>"""
    return etree.XSLT(etree.fromstring(source))


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


class RootElement(NamedTuple):
    document_type: str
    line_tag: str
    quantity_tag: str
    has_doctype: bool  # a DOCTYPE came before it


def root_element(name: str, data: bytes) -> RootElement:
    """The document type of a UBL file (`name`, its bytes) from its root element, or QuarantineError for
    anything else.

    Only the file up to the root's start tag is parsed, so a DOCTYPE is seen, in any encoding, before any
    entity it declares is used."""
    if not data.strip():
        raise QuarantineError(f"{name}: the file is empty")
    source = io.BytesIO(data)
    source.name = name  # lxml's messages name the file they come from
    events = etree.iterparse(source, events=("start",), resolve_entities=False, no_network=True)
    try:
        for _event, element in events:
            if element.tag in ROOTS:
                return RootElement(*ROOTS[element.tag], has_doctype=bool(element.getroottree().docinfo.doctype))
            raise QuarantineError(
                f"{name}: root element {element.tag} is not a UBL 2.1 Invoice or CreditNote "
                "(namespace urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 / CreditNote-2)"
            )
    except etree.XMLSyntaxError as error:
        raise QuarantineError(f"{name}: not an XML document: {error}") from None
    raise QuarantineError(f"{name}: no root element")


def read_document(path: Path) -> UblDocument:
    """Everything the raw tables need from one UBL file; problems instead of exceptions past the root."""
    data = path.read_bytes()  # once: the root's check and the whole parse read the same bytes
    document_type, line_tag, quantity_tag, has_doctype = root_element(path.name, data)
    document = UblDocument(document_type, line_tag, quantity_tag)
    if has_doctype:
        document.problems.append(
            Problem("<!DOCTYPE>", "", "DTDs and entity declarations are not allowed in a UBL e-invoice")
        )
        return document
    # Comments and processing instructions are dropped, as ElementTree did: a comment inside a value does
    # not cut its text. There is no DTD, so no entity to expand, and libxml2's limits for untrusted input
    # can go: they refuse a text over 10 MB, and Peppol invoices embed their PDF. A parser per document:
    # its error log holds this document's errors only (lxml's global log keeps earlier files' too).
    parser = etree.XMLParser(
        remove_comments=True, remove_pis=True, resolve_entities=False, no_network=True, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # The first error: where the parse went wrong, in libxml2's words without its position suffix.
        line, column, message = (*error.position, error.msg)
        if errors := parser.error_log.filter_from_errors():
            line, column, message = errors[0].line, errors[0].column, errors[0].message
        document.problems.append(Problem("", "", f"not well-formed XML at line {line}, column {column}: {message}"))
        return document
    values: dict[str, str | None] = {}
    for column, path_ in DOCUMENT_PATHS.items():
        values[column] = _text(root.find(path_, NS))
        document.paths[column] = path_
    type_tag = "cbc:InvoiceTypeCode" if document_type == "invoice" else "cbc:CreditNoteTypeCode"
    values["document_type"] = document_type
    values["type_code"] = _text(root.find(type_tag, NS))
    document.paths["type_code"] = type_tag
    due = root.find("cbc:DueDate", NS)
    document.paths["due_date"] = "cbc:DueDate"
    if due is None:
        due = root.find("cac:PaymentMeans/cbc:PaymentDueDate", NS)
        document.paths["due_date"] = "cac:PaymentMeans/cbc:PaymentDueDate"
    values["due_date"] = _text(due)
    company = root.find(_CUSTOMER + "cac:PartyLegalEntity/cbc:CompanyID", NS)
    values["customer_company_id_scheme"] = company.get("schemeID") if company is not None else None
    document.paths["customer_company_id_scheme"] = _CUSTOMER + "cac:PartyLegalEntity/cbc:CompanyID/@schemeID"
    # A document may carry a second TaxTotal in the tax currency: take the one in the document currency.
    tax_amounts = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    in_currency = [e for e in tax_amounts if e.get("currencyID", "").strip() == (values["currency"] or "")]
    values["tax_amount"] = _text((in_currency or tax_amounts or [None])[0])
    document.paths["tax_amount"] = "cac:TaxTotal/cbc:TaxAmount"
    references = [_text(e) for e in root.findall("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NS)]
    values["billing_references"] = json.dumps([r for r in references if r], ensure_ascii=False) if references else None
    document.paths["billing_references"] = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
    values["line_count"] = str(int(root.xpath(f"count(cac:{line_tag})", namespaces=NS)))
    document.paths["line_count"] = f"cac:{line_tag}"
    document.fields = values
    document.root = root
    return document
