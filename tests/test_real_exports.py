"""Every real export in ../shared/realdata that dealledger supports loads with exact counts and values.

The folder is read-only: files are copied into temporary inboxes (one per folder, since names repeat
across tools: QuickBooks and Stripe both have invoice_data.csv) and detected from name and header.
Inputs derived from the real files (a Data Loader rendering, a drifted header, a corrupted amount) are
built in code and never written back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dealledger.ingest.layouts import LAYOUTS, LAYOUTS_BY_KIND, layout_for_file
from dealledger.ingest.loader import FileLoadResult, ensure_raw_tables, load_export_file
from dealledger.settings import REPO_ROOT

# DEALLEDGER_REALDATA, else beside the repository (../shared/realdata), else the workplace's shared folder
# (a clone or worktree elsewhere has no ../shared).
REALDATA_CANDIDATES = [
    *([Path(os.environ["DEALLEDGER_REALDATA"])] if "DEALLEDGER_REALDATA" in os.environ else []),
    REPO_ROOT.parent / "shared" / "realdata",
    Path("/work/shared/realdata"),
]
REALDATA = next((path for path in REALDATA_CANDIDATES if path.is_dir()), REALDATA_CANDIDATES[0])
pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"none of {REALDATA_CANDIDATES} is there")

# file -> (layout kind, rows read, rows loaded, rows rejected)
SUPPORTED: dict[str, tuple[str, int, int, int]] = {
    "fivetran_dbt_hubspot/company_data.csv": ("hubspot_companies", 24, 24, 0),
    "fivetran_dbt_hubspot/contact_data.csv": ("hubspot_contacts", 22, 22, 0),
    "fivetran_dbt_hubspot/deal_company_data.csv": ("hubspot_deal_companies", 2, 2, 0),
    "fivetran_dbt_hubspot/deal_contact_data.csv": ("hubspot_deal_contacts", 11, 11, 0),
    "fivetran_dbt_hubspot/deal_data.csv": ("hubspot_deals", 44, 44, 0),
    "fivetran_dbt_hubspot/deal_pipeline_data.csv": ("hubspot_deal_pipelines", 6, 6, 0),
    "fivetran_dbt_hubspot/deal_pipeline_stage_data.csv": ("hubspot_deal_pipeline_stages", 71, 71, 0),
    "fivetran_dbt_hubspot/deal_property_history_data.csv": ("hubspot_deal_property_history", 100, 100, 0),
    "fivetran_dbt_hubspot/deal_stage_data.csv": ("hubspot_deal_stages", 14, 14, 0),
    "fivetran_dbt_hubspot/engagement_call_data.csv": ("hubspot_engagement_calls", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_company_data.csv": ("hubspot_engagement_companies", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_contact_data.csv": ("hubspot_engagement_contacts", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_data.csv": ("hubspot_engagements", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_deal_data.csv": ("hubspot_engagement_deals", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_email_data.csv": ("hubspot_engagement_emails", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_meeting_data.csv": ("hubspot_engagement_meetings", 100, 100, 0),
    "fivetran_dbt_hubspot/engagement_note_data.csv": ("hubspot_engagement_notes", 1, 1, 0),
    "fivetran_dbt_hubspot/engagement_task_data.csv": ("hubspot_engagement_tasks", 2, 2, 0),
    "fivetran_dbt_hubspot/merged_deal_data.csv": ("hubspot_merged_deals", 14, 14, 0),
    "fivetran_dbt_hubspot/owner_data.csv": ("hubspot_owners", 100, 100, 0),
    "fivetran_dbt_quickbooks/credit_memo_data.csv": ("quickbooks_credit_memos", 12, 12, 0),
    "fivetran_dbt_quickbooks/credit_memo_line_data.csv": ("quickbooks_credit_memo_lines", 10, 10, 0),
    "fivetran_dbt_quickbooks/customer_data.csv": ("quickbooks_customers", 5, 5, 0),
    "fivetran_dbt_quickbooks/estimate_data.csv": ("quickbooks_estimates", 10, 10, 0),
    "fivetran_dbt_quickbooks/estimate_line_data.csv": ("quickbooks_estimate_lines", 13, 13, 0),
    "fivetran_dbt_quickbooks/invoice_data.csv": ("quickbooks_invoices", 16, 16, 0),
    "fivetran_dbt_quickbooks/invoice_line_data.csv": ("quickbooks_invoice_lines", 22, 22, 0),
    "fivetran_dbt_quickbooks/invoice_linked_txn_data.csv": ("quickbooks_invoice_linked_txns", 14, 14, 0),
    "fivetran_dbt_quickbooks/payment_data.csv": ("quickbooks_payments", 12, 12, 0),
    "fivetran_dbt_quickbooks/payment_line_data.csv": ("quickbooks_payment_lines", 12, 12, 0),
    "fivetran_dbt_salesforce/sf_account_data.csv": ("salesforce_accounts", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_contact_data.csv": ("salesforce_contacts", 4, 4, 0),
    "fivetran_dbt_salesforce/sf_event_data.csv": ("salesforce_events", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_lead_data.csv": ("salesforce_leads", 1, 1, 0),
    "fivetran_dbt_salesforce/sf_opportunity_data.csv": ("salesforce_opportunities", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_opportunity_history_data.csv": ("salesforce_opportunity_versions", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_opportunity_line_item_data.csv": ("salesforce_opportunity_line_items", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_task_data.csv": ("salesforce_tasks", 10, 10, 0),
    "fivetran_dbt_salesforce/sf_user_data.csv": ("salesforce_users", 10, 10, 0),
    "fivetran_dbt_stripe/credit_note_data.csv": ("stripe_credit_notes", 2, 2, 0),
    "fivetran_dbt_stripe/credit_note_line_item_data.csv": ("stripe_credit_note_line_items", 2, 2, 0),
    "fivetran_dbt_stripe/customer_data.csv": ("stripe_customers", 12, 12, 0),
    "fivetran_dbt_stripe/invoice_data.csv": ("stripe_invoices", 2, 2, 0),
    "fivetran_dbt_stripe/invoice_line_item_data.csv": ("stripe_invoice_line_items", 3, 3, 0),
    "peppol_bis_billing3_snippets/Calc.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/CreditNote-snippets.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/Snippet-cn.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/Snippet-full.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/Snippet-refs.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/base-creditnote-correction.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/base-example.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/base-negative-inv-correction.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/direct-debit.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/giro.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/item.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/payment-credit.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/payment1.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/price.xml": ("ubl_invoices", 1, 1, 0),
    "peppol_bis_billing3_snippets/vat-calc.xml": ("ubl_invoices", 1, 1, 0),
    "sfdx_apex_recipes/Accounts.json": ("salesforce_accounts", 50, 50, 0),
    "sfdx_apex_recipes/Contacts.json": ("salesforce_contacts", 150, 150, 0),
    "sfdx_apex_recipes/Opportunities.json": ("salesforce_opportunities", 50, 50, 0),
}

# Files no layout claims, and why (docs/formats.md lists what is supported).
UNSUPPORTED: dict[str, str] = {
    "README.md": "documentation",
    "fivetran_dbt_hubspot/company_property_history_data.csv": "company property history: not modelled",
    "fivetran_dbt_hubspot/contact_merge_audit_data.csv": "contact merge audit: not modelled",
    "fivetran_dbt_hubspot/contact_property_history_data.csv": "contact property history: not modelled",
    "fivetran_dbt_hubspot/engagement_communication_data.csv": "SMS/chat engagements: not modelled",
    "fivetran_dbt_hubspot/property_data.csv": "property definitions: metadata",
    "fivetran_dbt_hubspot/property_option_data.csv": "property options: metadata",
    "fivetran_dbt_quickbooks/account_data.csv": "chart of accounts",
    "fivetran_dbt_quickbooks/bundle_data.csv": "product bundles",
    "fivetran_dbt_quickbooks/bundle_item_data.csv": "product bundles",
    "fivetran_dbt_quickbooks/estimate_tax_line_data.csv": "tax lines",
    "fivetran_dbt_quickbooks/invoice_line_bundle_data.csv": "bundle lines",
    "fivetran_dbt_quickbooks/invoice_tax_line_data.csv": "tax lines",
    "fivetran_dbt_quickbooks/item_data.csv": "product catalogue",
    "fivetran_dbt_quickbooks/sales_receipt_data.csv": "cash sales (no invoice)",
    "fivetran_dbt_quickbooks/sales_receipt_line_data.csv": "cash sales (no invoice)",
    "fivetran_dbt_quickbooks/tax_agency_data.csv": "tax metadata",
    "fivetran_dbt_quickbooks/tax_rate_data.csv": "tax metadata",
    "fivetran_dbt_salesforce/sf_account_history_data.csv": "account history mode: not modelled",
    "fivetran_dbt_salesforce/sf_contact_history_data.csv": "contact history mode: not modelled",
    "fivetran_dbt_salesforce/sf_order_data.csv": "orders: not modelled",
    "fivetran_dbt_salesforce/sf_product_2_data.csv": "product catalogue",
    "fivetran_dbt_salesforce/sf_user_role_data.csv": "role hierarchy",
    "fivetran_dbt_stripe/account_data.csv": "the Stripe account itself",
    "fivetran_dbt_stripe/charge_data.csv": "payments side",
    "fivetran_dbt_stripe/coupon_data.csv": "discount metadata",
    "fivetran_dbt_stripe/discount_data.csv": "discount metadata",
    "fivetran_dbt_stripe/payment_intent_data.csv": "payments side",
    "fivetran_dbt_stripe/plan_data.csv": "price catalogue",
    "fivetran_dbt_stripe/price_data.csv": "price catalogue",
    "fivetran_dbt_stripe/product_data.csv": "product catalogue",
    "fivetran_dbt_stripe/subscription_data.csv": "subscriptions: not modelled",
    "fivetran_dbt_stripe/subscription_history_data.csv": "subscriptions: not modelled",
    "fivetran_dbt_stripe/subscription_item_data.csv": "subscriptions: not modelled",
    "sfdx_apex_recipes/Accounts.csv": "data-tree CSV without record ids: the JSON is the supported form",
    "sfdx_apex_recipes/Campaigns.csv": "campaigns: not modelled",
    "sfdx_apex_recipes/Campaigns.json": "campaigns: not modelled",
    "sfdx_apex_recipes/Contacts.csv": "data-tree CSV without record ids: the JSON is the supported form",
    "sfdx_apex_recipes/Opportunities.csv": "data-tree CSV without record ids: the JSON is the supported form",
    "sfdx_apex_recipes/data-plan.json": "import plan, no records",
}


def _real_files() -> list[str]:
    return sorted(
        path.relative_to(REALDATA).as_posix()
        for path in REALDATA.rglob("*")
        if path.is_file() and path.name != "SOURCE.txt"
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, dict[str, FileLoadResult]]:
    """Every real file copied to an inbox and loaded, as the ingest assets would (detection included)."""
    home = tmp_path_factory.mktemp("realdata")
    connection = duckdb.connect(str(home / "build.duckdb"))
    ensure_raw_tables(connection, LAYOUTS)
    results = {}
    for relative in _real_files():
        source = REALDATA / relative
        inbox = home / "inbox" / source.parent.name
        inbox.mkdir(parents=True, exist_ok=True)
        path = inbox / source.name
        shutil.copyfile(source, path)
        declared = layout_for_file(path)
        if declared is None:
            continue
        layout, export_date = declared
        results[relative] = load_export_file(connection, path, layout, export_date, "load-1", home / "quarantine")
    yield connection, results
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_every_real_file_is_either_supported_or_known_unsupported():
    files = set(_real_files())
    assert files == set(SUPPORTED) | set(UNSUPPORTED), "a new file in realdata: add it to SUPPORTED or UNSUPPORTED"
    for relative in files:
        declared = layout_for_file(REALDATA / relative)
        if relative in SUPPORTED:
            assert declared is not None and declared[0].kind == SUPPORTED[relative][0], relative
        else:
            assert declared is None, f"{relative} is claimed by {declared[0].kind if declared else None}"


@pytest.mark.parametrize("relative", sorted(SUPPORTED))
def test_real_file_loads_with_exact_counts(loaded, relative):
    con, results = loaded
    kind, read, loaded_rows, rejected = SUPPORTED[relative]
    result = results[relative]
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        read,
        loaded_rows,
        rejected,
    ), result.reason
    layout = LAYOUTS_BY_KIND[kind]
    in_raw = rows(con, f"select count(*) from {layout.raw_table} where _content_hash = ?", [result.content_hash])
    in_ledger = rows(
        con, "select count(distinct line) from raw_meta.rejects where content_hash = ?", [result.content_hash]
    )
    booked = rows(
        con,
        "select export_kind, rows_read, rows_loaded, rows_rejected from raw_meta.loaded_files where content_hash = ?",
        [result.content_hash],
    )
    assert in_raw[0][0] == loaded_rows
    assert in_ledger[0][0] == rejected
    assert booked == [(kind, read, loaded_rows, rejected)]


def test_loading_the_same_real_files_again_loads_nothing(loaded, tmp_path):
    con, results = loaded
    before = rows(con, "select count(*) from raw_meta.loaded_files")[0][0]
    for relative in sorted(SUPPORTED)[:10] + ["peppol_bis_billing3_snippets/Snippet-cn.xml"]:
        path = tmp_path / Path(relative).name
        shutil.copyfile(REALDATA / relative, path)
        layout, export_date = layout_for_file(path)
        assert load_export_file(con, path, layout, export_date, "load-2", tmp_path / "q").status == "skipped"
    assert rows(con, "select count(*) from raw_meta.loaded_files")[0][0] == before


# ------------------------------------------------------------------------------------------ Salesforce


def test_soft_deleted_salesforce_opportunities_are_present_with_is_deleted(loaded):
    con, results = loaded
    digest = results["fivetran_dbt_salesforce/sf_opportunity_data.csv"].content_hash
    assert rows(
        con,
        "select count(*), count(*) filter (where is_deleted) from raw_salesforce.opportunities where _content_hash = ?",
        [digest],
    ) == [(10, 10)]
    first = rows(
        con,
        "select id, name, amount, amount__raw, close_date::varchar, close_date__raw, probability, is_won "
        "from raw_salesforce.opportunities where _content_hash = ? and _row_number = 1",
        [digest],
    )
    # probability 1000 (out of 0-100) is kept as exported; staging decides what it means.
    assert [(r[0], r[1], str(r[2]), r[3], r[4], r[5], str(r[6]), r[7]) for r in first] == [
        (
            "006q000000HddohAAB",
            "$1m deal",
            "24120000.00",
            "24120000",
            "2018-12-19",
            "2018-12-19 00:00:00",
            "1000.0000",
            True,
        )
    ]


def test_salesforce_quirks_survive(loaded):
    con, results = loaded
    # ids with spaces, `FALSE` and `false` both booleans, a millisecond timestamp among second ones
    items = rows(
        con, "select product_2_id, is_deleted from raw_salesforce.opportunity_line_items where _row_number = 1"
    )
    assert items == [("01 1G000000bUE8QAM", False)]
    synced = rows(
        con,
        "select _fivetran_synced::varchar from raw_salesforce.opportunities "
        "where id = '006q000000Hbmd1AAB' and _source_file = 'sf_opportunity_data.csv'",
    )
    assert synced == [("2018-12-18 18:20:30.829",)]
    # history mode (SCD2): the open versions end at the 9999-12-31 sentinel, the two closed ones before
    versions = rows(
        con,
        "select _fivetran_active, count(*), count(*) filter (where _fivetran_end = timestamp '9999-12-31 23:59:59') "
        "from raw_salesforce.opportunity_versions group by 1 order by 1",
    )
    assert versions == [(False, 2, 0), (True, 8, 8)]
    # custom fields (`*_c`) of the org are kept, in _extra
    lead_extra = rows(
        con, "select json_extract_string(_extra, '$.lead_number_c') is not null from raw_salesforce.leads"
    )
    assert lead_extra == [(True,)]


def test_cli_data_tree_json_loads_with_reference_ids_and_hostile_text_unchanged(loaded):
    con, results = loaded
    source = json.loads((REALDATA / "sfdx_apex_recipes/Opportunities.json").read_text(encoding="utf-8"))["records"]
    loaded_rows = rows(
        con,
        "select id, name, stage_name, description, account_id, amount__raw from raw_salesforce.opportunities "
        "where _source_file = 'Opportunities.json' order by _row_number",
    )
    assert loaded_rows == [
        (
            record["attributes"]["referenceId"],
            record["name"],
            record["StageName"],
            record["description"],
            record["accountId"],
            record["amount"],
        )
        for record in source
    ]
    descriptions = {row[3] for row in loaded_rows}
    assert "1;DROP TABLE users" in descriptions
    assert "<img src=x onerror=alert('hi') />" in descriptions
    assert "\u202a\u202atest\u202a" in descriptions  # bidi embedding marks
    assert "\u200b" in descriptions  # a zero-width space, alone
    assert "(╯°□°）╯︵ ┻━┻)  " in descriptions  # trailing spaces kept
    # 'Closed/Won' is not normalised to 'Closed Won'; two deals named alike stay two
    stages = rows(
        con,
        "select count(*) from raw_salesforce.opportunities where stage_name = 'Closed/Won' and _source_file = ?",
        ["Opportunities.json"],
    )
    assert stages == [(3,)]
    twins = rows(
        con, "select count(distinct id) from raw_salesforce.opportunities where name = 'Dove, emerald-spotted wood'"
    )
    assert twins == [(2,)]
    # nothing the strings say was executed: the tables are all still there
    assert rows(con, "select count(*) from raw_salesforce.accounts where _source_file = 'Accounts.json'") == [(50,)]


def test_a_data_loader_export_with_api_field_names_loads_into_the_same_table(loaded, tmp_path):
    """The Fivetran opportunity file rewritten as Data Loader writes it: API names, ISO timestamps, CRLF."""
    con, _ = loaded
    text = (REALDATA / "fivetran_dbt_salesforce/sf_opportunity_data.csv").read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(text)))
    header = ["".join(part.capitalize() for part in name.split("_")) for name in records[0]]
    header = [{"Pricebook2Id": "Pricebook2Id"}.get(name, name) for name in header]
    keep = [i for i, name in enumerate(records[0]) if not name.startswith("_fivetran")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header[i] for i in keep])
    for record in records[1:]:
        values = [record[i] for i in keep]
        created = records[0].index("created_date")
        values[keep.index(created)] = record[created].replace(" ", "T") + ".000Z"
        writer.writerow(values)
    path = tmp_path / "Opportunity_20240131.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    layout, export_date = layout_for_file(path)
    assert (layout.kind, export_date) == ("salesforce_opportunities", "2024-01-31")
    result = load_export_file(con, path, layout, export_date, "load-dl", tmp_path / "q")
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 10, 10, 0)
    assert rows(
        con,
        "select stage_name, pricebook_2_id, created_date::varchar from raw_salesforce.opportunities "
        "where _content_hash = ? and id = '006q000000HddohAAB'",
        [result.content_hash],
    ) == [("GavUFuuf4DrnQAoiRGlWpQ==", "lNUPfU1ue2nQimeN6QVNKQ==", "2018-12-19 19:51:13")]


def test_a_renamed_column_in_a_real_export_is_quarantined_with_the_column_named(loaded, tmp_path):
    con, _ = loaded
    text = (REALDATA / "fivetran_dbt_quickbooks/invoice_data.csv").read_text(encoding="utf-8")
    path = tmp_path / "invoice_data_20240131.csv"
    path.write_text(text.replace(",doc_number,", ",document_number,", 1), encoding="utf-8")
    layout, export_date = layout_for_file(path)
    assert layout.kind == "quickbooks_invoices"  # the header still says QuickBooks, not Stripe
    result = load_export_file(con, path, layout, export_date, "load-drift", tmp_path / "quarantine")
    assert result.status == "quarantined"
    assert "unexpected column(s) document_number" in result.reason
    assert "renamed? 'document_number' for 'doc_number'" in result.reason
    assert (tmp_path / "quarantine" / path.name).exists()
    assert not path.exists()


def test_a_corrupted_amount_in_a_real_export_is_rejected_on_its_line(loaded, tmp_path):
    con, _ = loaded
    lines = (REALDATA / "fivetran_dbt_quickbooks/invoice_data.csv").read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3].replace("2020-01-15 20:42:40", "15-01-2020 20:42")  # created_at of invoice 21779
    path = tmp_path / "invoice_data_20240201.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    layout, export_date = layout_for_file(path)
    result = load_export_file(con, path, layout, export_date, "load-bad", tmp_path / "q")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (16, 15, 1)
    assert rows(
        con,
        "select line, column_name, raw_line like '21779,%' from raw_meta.rejects where content_hash = ?",
        [result.content_hash],
    ) == [(4, "created_at", True)]


# ------------------------------------------------------------------------------------------- HubSpot


def test_hubspot_merged_deals_stage_history_and_portal_properties(loaded):
    con, _ = loaded
    assert rows(con, "select count(*) from raw_hubspot.merged_deals where deal_id = '9089908390'") == [(4,)]
    assert rows(con, "select count(*), count(property_amount) from raw_hubspot.deals") == [
        (44, 0)
    ]  # amounts all empty in this portal
    assert rows(
        con,
        "select _fivetran_start::varchar, _fivetran_end::varchar, _fivetran_active from raw_hubspot.deal_stages "
        "where deal_id = '3954699413'",
    ) == [("2021-01-07 06:49:18", "2050-01-01 00:00:00", True)]
    assert rows(
        con, "select min(probability)::varchar, max(probability)::varchar from raw_hubspot.deal_pipeline_stages"
    ) == [("0.0000", "1.0000")]
    # a property whose name has '-' in it is kept in _extra, keyed in snake_case
    assert rows(
        con,
        "select json_extract_string(_extra, '$.property_hs_all_funky_a9384_syntax') from raw_hubspot.companies "
        "where id = '2182162682'",
    ) == [("23",)]


# -------------------------------------------------------------------------------------- QuickBooks


def test_two_quickbooks_invoices_with_one_doc_number_stay_two(loaded):
    con, _ = loaded
    found = rows(
        con,
        "select id, total_amount::varchar from raw_quickbooks.invoices "
        "where doc_number = '2021011355' and _source_file = 'invoice_data.csv' order by id",
    )
    assert found == [("40113", "565214.00"), ("40114", "62507.50")]
    assert rows(
        con,
        "select currency_id, exchange_rate::varchar from raw_quickbooks.invoices "
        "where id = '50001' and _source_file = 'invoice_data.csv'",
    ) == [("EUR", "1.25000000")]
    assert rows(
        con,
        "select count(*) from raw_quickbooks.invoices where _fivetran_deleted and _source_file = 'invoice_data.csv'",
    ) == [(11,)]
    details = dict(rows(con, "select coalesce(detail_type, ''), count(*) from raw_quickbooks.invoice_lines group by 1"))
    assert details == {
        "SalesItemLineDetail": 12,
        "SubTotalLineDetail": 6,
        "DiscountLineDetail": 1,
        "DescriptionOnly": 1,
        "": 2,
    }


# ------------------------------------------------------------------------------------------- Stripe


def test_stripe_amounts_stay_in_cents_with_lower_case_currency_and_json_metadata(loaded):
    con, _ = loaded
    assert rows(
        con,
        "select id, total, amount_paid, currency, json_extract_string(metadata, '$.external_id') "
        "from raw_stripe.invoices order by id",
    ) == [
        ("ab1111", 1000, 1000, "usd", "1111111-2222-3333-4444-55555555"),
        ("si8jo54", 1000, 0, "usd", "1111111-2222-3333-4444-55555555"),
    ]
    assert rows(con, "select typeof(total) from raw_stripe.invoices limit 1") == [("BIGINT",)]
    assert rows(con, "select id, invoice_id, amount from raw_stripe.credit_notes order by id") == [
        ("cn_89hUNfs", "in_1J7DINLdeVo", 50),
        ("cn_Jg3Jf0s", "in_1IPp7kCLA0Q", 100),
    ]


# ------------------------------------------------------------------------------------- UBL / Peppol


def test_a_peppol_credit_note_keeps_its_billing_reference(loaded):
    con, _ = loaded
    assert rows(
        con,
        "select document_id, document_type, type_code, billing_reference, net_amount::varchar, "
        "tax_amount::varchar, payable_amount::varchar, customer_vat, customer_company_id, "
        "customer_company_id_scheme, issue_date::varchar "
        "from raw_ubl.invoices where _source_file = 'base-creditnote-correction.xml'",
    ) == [
        (
            "Snippet1",
            "credit_note",
            "381",
            "Snippet1",
            "1325.00",
            "331.25",
            "1656.25",
            "SE4598375937",
            "39937423947",
            "0183",
            "2017-11-13",
        )
    ]
    assert rows(
        con,
        "select billing_reference, billing_references, billing_reference_issue_date::varchar "
        "from raw_ubl.invoices where _source_file = 'Snippet-cn.xml'",
    ) == [("123", '["123", "124"]', "2017-10-20")]


def test_peppol_references_negative_corrections_and_tax_in_document_currency(loaded):
    con, _ = loaded
    assert rows(
        con,
        "select order_reference, contract_reference, currency, tax_currency, tax_amount::varchar, line_count "
        "from raw_ubl.invoices where _source_file = 'Calc.xml'",
    ) == [("o-998877", "framework no 1", "EUR", "SEK", "1225.00", 3)]  # not the SEK TaxTotal of 9324.00
    assert rows(
        con,
        "select document_id, payable_amount::varchar, billing_reference from raw_ubl.invoices "
        "where _source_file = 'base-negative-inv-correction.xml'",
    ) == [("Correction1", "-1656.25", "Snippet1")]
    lines = rows(
        con,
        "select line_number, line_id, quantity::varchar, unit_code, line_extension_amount::varchar, item_name "
        "from raw_ubl.invoice_lines where _source_file = 'base-creditnote-correction.xml' order by line_number",
    )
    assert lines == [
        (1, "1", "7.0000", "DAY", "2800.00", "item name"),
        (2, "2", "-3.0000", "DAY", "-1500.00", "item name 2"),
    ]
    per_document = rows(
        con,
        "select count(*) from raw_ubl.invoices as i "
        "join (select _content_hash, count(*) as n from raw_ubl.invoice_lines group by 1) as l using (_content_hash) "
        "where l.n <> i.line_count",
    )
    assert per_document == [(0,)]
