"""The real exports of ../shared/realdata through the whole pipeline (`dealledger run`), checked in the marts.

One run for the module: every supported real file is copied into one inbox under a name its layout
recognises, dated 2024-01-31 (`<name>_<tool>_20240131.<ext>`: QuickBooks and Stripe both call a file
invoice_data.csv, and the header tells them apart). The HubSpot deal export is derived in code: the real
one has neither the surviving nor the merged-away deals of merged_deal_data.csv, so the survivors
9089908390 and 1006463008 and five of their six merged-away deals are added as rows; the anonymised portal
also dropped every deal's stage (a HubSpot deal always has one, and a deal whose stage is unknown fails
the status tests by design), so empty stages become HubSpot's first default stage, appointmentscheduled.
An earlier export (2024-01-15) holds a deal that the later full export no longer has, and an amount the
later one corrects.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from test_real_exports import REALDATA, SUPPORTED

from dealledger.cli import main
from dealledger.settings import load_settings

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"{REALDATA} is not there")

EXPORT_DAY = "20240131"
EARLIER_DAY = "20240115"
HUBSPOT_DEALS = "fivetran_dbt_hubspot/deal_data.csv"
# merged_deal_data.csv: survivor -> merged-away deals; 9351825260 (merged into 1006463008) is never exported.
MERGED_AWAY = {
    "9089908390": ["9014070905", "9077310858", "9077311778", "9014071335"],
    "1006463008": ["10064581040"],
}
VANISHED_DEAL = "5550000001"  # only in the earlier HubSpot export
CORRECTED_DEAL = "1244495215"  # amount 999.00 in the earlier export, 1500.00 in the later one
PII_SALT = "test-salt-real-exports"


def _tagged_name(relative: str, day: str = EXPORT_DAY) -> str:
    path = Path(relative)
    tool = path.parent.name.removeprefix("fivetran_dbt_").split("_")[0]
    return f"{path.stem}_{tool}_{day}{path.suffix}"


def _hubspot_deal_rows(extra: list[dict[str, str]], drop: set[str], amounts: dict[str, str]) -> str:
    """The real HubSpot deal export with rows added, left out and amounts set, in its own CSV dialect."""
    records = list(csv.DictReader(io.StringIO((REALDATA / HUBSPOT_DEALS).read_text(encoding="utf-8"))))
    header = list(records[0])
    template = records[0]
    rows = [row for row in records if row["deal_id"] not in drop] + [{**template, **row} for row in extra]
    for row in rows:
        row["property_amount"] = amounts.get(row["deal_id"], row["property_amount"])
        row["deal_pipeline_stage_id"] = row["deal_pipeline_stage_id"] or "appointmentscheduled"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_inbox(inbox: Path) -> None:
    """Every supported real file under its tagged name, the HubSpot deal export in two derived days."""
    inbox.mkdir(parents=True)
    for relative in SUPPORTED:
        if relative != HUBSPOT_DEALS:
            shutil.copyfile(REALDATA / relative, inbox / _tagged_name(relative))
    added = [
        {"deal_id": deal_id, "property_dealname": f"deal {deal_id}"}
        for survivor, merged in MERGED_AWAY.items()
        for deal_id in [survivor, *merged]
    ]
    later = _hubspot_deal_rows(added, drop=set(), amounts={CORRECTED_DEAL: "1500.00"})
    earlier = _hubspot_deal_rows(
        [{"deal_id": VANISHED_DEAL, "property_dealname": "vanished"}], drop=set(), amounts={CORRECTED_DEAL: "999.00"}
    )
    (inbox / _tagged_name(HUBSPOT_DEALS)).write_text(later, encoding="utf-8")
    (inbox / _tagged_name(HUBSPOT_DEALS, EARLIER_DAY)).write_text(earlier, encoding="utf-8")


@pytest.fixture(scope="module")
def build_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dealledger run` on the inbox; its build file holds staging and intermediate models, not only marts."""
    home = tmp_path_factory.mktemp("realmarts")
    write_inbox(home / "inbox")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DEALLEDGER_HOME", str(home))
        monkeypatch.delenv("DEALLEDGER_INBOX", raising=False)
        monkeypatch.setenv("DEALLEDGER_PII_SALT", PII_SALT)
        main(["run"])
        return load_settings().home / "build.duckdb"


@pytest.fixture(scope="module")
def con(build_db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(build_db), read_only=True)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_every_real_file_is_loaded_whole(con):
    # the derived HubSpot exports: 44 real rows + 7 added (later), 44 + 1 (earlier)
    read = sum(counts[1] for counts in SUPPORTED.values()) - 44 + 51 + 45
    assert rows(
        con,
        "select count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw_meta.loaded_files "
        "where status = 'loaded'",
    ) == [(len(SUPPORTED) + 1, read, read, 0)]


# ------------------------------------------------------------------------------------------ Salesforce


def test_soft_deleted_salesforce_opportunities_are_not_deals(con):
    deleted = rows(
        con,
        "select count(*), count(*) filter (where deletion_reason = 'deleted_in_source' and surviving_deal_id is null) "
        "from int_deal_merges_resolved where deal_id in "
        "(select deal_id from stg_salesforce__opportunities where source_file like 'sf_opportunity_data%')",
    )
    assert deleted == [(10, 10)]
    in_marts = rows(
        con,
        "select count(*), count(*) filter (where source_deal_id like 'OpportunityRef%') from fct_deals "
        "where source_system = 'salesforce'",
    )
    assert in_marts == [(50, 50)]  # the 50 of the CLI data tree, none of the 10 soft-deleted ones


def test_salesforce_stages_map_to_milestones(con):
    statuses = rows(
        con,
        "select status, count(*) from fct_deals where source_system = 'salesforce' group by 1 order by 1",
    )
    assert statuses == [("lost", 1), ("open", 46), ("won", 3)]  # 'Closed/Won' x3 and 'Closed Lost' x1
    dove = rows(
        con,
        "select count(*) from fct_deals where deal_name = 'Dove, emerald-spotted wood'",
    )
    assert dove[0][0] == 2  # two deals with one name stay two


def test_hostile_text_goes_through_unchanged(con):
    source = json.loads((REALDATA / "sfdx_apex_recipes/Opportunities.json").read_text(encoding="utf-8"))["records"]
    staged = rows(
        con,
        "select source_deal_id, deal_name, description from stg_salesforce__opportunities "
        "where source_file like 'Opportunities%' order by source_row",
    )
    assert staged == [(r["attributes"]["referenceId"], r["name"], r["description"]) for r in source]
    names = dict(rows(con, "select source_deal_id, deal_name from fct_deals where source_system = 'salesforce'"))
    assert names == {r["attributes"]["referenceId"]: r["name"] for r in source}
    descriptions = {row[2] for row in staged}
    assert {"1;DROP TABLE users", "<img src=x onerror=alert('hi') />", "\u202a\u202atest\u202a"} <= descriptions
    # nothing the strings say was executed: every mart is still there, with its rows
    assert rows(con, "select count(*) from fct_invoices") == [(36,)]


# ------------------------------------------------------------------------------------------- HubSpot


def test_hubspot_merged_deals_collapse_into_their_survivor(con):
    merged_away = [deal for merged in MERGED_AWAY.values() for deal in merged]
    assert rows(con, "select count(*) from fct_deals where source_system = 'hubspot'") == [(46,)]  # 44 + 2 survivors
    assert rows(
        con,
        f"select count(*) from fct_deals where source_deal_id in ({', '.join('?' * len(merged_away))})",
        merged_away,
    ) == [(0,)]
    survivors = rows(
        con,
        "select deal_id, merged_record_count from fct_deals where deal_id in ('hubspot:9089908390', "
        "'hubspot:1006463008') order by 1",
    )
    assert survivors == [("hubspot:1006463008", 1), ("hubspot:9089908390", 4)]
    resolved = rows(
        con,
        "select count(*) from int_deal_merges_resolved where surviving_deal_id = 'hubspot:9089908390' and is_merged",
    )
    assert resolved == [(4,)]


def test_a_deal_missing_from_the_latest_full_export_is_marked_deleted(con):
    assert rows(
        con,
        "select surviving_deal_id, is_missing_from_latest_export, deletion_reason, last_export_date::varchar "
        "from int_deal_merges_resolved where deal_id = ?",
        [f"hubspot:{VANISHED_DEAL}"],
    ) == [(None, True, "missing_from_latest_export", "2024-01-15")]
    assert rows(con, "select count(*) from fct_deals where source_deal_id = ?", [VANISHED_DEAL]) == [(0,)]


def test_a_correction_in_the_later_export_wins(con):
    assert rows(con, "select amount::varchar from fct_deals where source_deal_id = ?", [CORRECTED_DEAL]) == [
        ("1500.00",)
    ]


# -------------------------------------------------------------------------------------- QuickBooks


def test_two_quickbooks_invoices_with_one_doc_number_stay_two(con):
    assert rows(
        con,
        "select invoice_id, net_amount::varchar, currency from fct_invoices where invoice_number = '2021011355' "
        "order by invoice_id",
    ) == [("quickbooks:40113", "565214.00", "USD"), ("quickbooks:40114", "56825.00", "USD")]


def test_quickbooks_subtotal_lines_are_not_summed_twice(con):
    # 40114: a SubTotalLineDetail of 56825.00 over item lines 1000.00 + 175.00 + 55650.00
    assert rows(
        con,
        "select count(*), sum(line_amount)::varchar from int_invoice_lines_deduplicated "
        "where invoice_id = 'quickbooks:40114'",
    ) == [(3, "56825.00")]
    assert rows(con, "select net_amount::varchar from fct_invoices where invoice_id = 'quickbooks:40114'") == [
        ("56825.00",)
    ]


def test_deleted_quickbooks_invoices_are_not_documents(con):
    assert rows(con, "select count(*) from fct_invoices where invoice_id like 'quickbooks:%'") == [(17,)]  # 5 + 12
    assert rows(con, "select count(*) from fct_invoices where invoice_id = 'quickbooks:21779'") == [(0,)]


# ------------------------------------------------------------------------------------------- Stripe


def test_stripe_cents_become_currency_units(con):
    assert rows(
        con,
        "select invoice_id, invoice_type, invoice_date::varchar, net_amount::varchar, currency, "
        "corrects_invoice_number from fct_invoices where invoice_id like 'stripe:%' order by invoice_id",
    ) == [
        ("stripe:ab1111", "invoice", "2021-02-19", "10.00", "USD", None),  # total 1000 (cents), no `created`
        ("stripe:cn_89hUNfs", "credit_note", "2021-06-30", "-0.50", "USD", "in_1J7DINLdeVo"),
        ("stripe:cn_Jg3Jf0s", "credit_note", "2021-03-15", "-1.00", "USD", "in_1IPp7kCLA0Q"),
        ("stripe:si8jo54", "invoice", "2021-02-19", "10.00", "USD", None),
    ]
    assert rows(
        con, "select line_amount::varchar from int_invoice_lines_deduplicated where invoice_id = 'stripe:ab1111'"
    ) == [("0.21",)]


# ------------------------------------------------------------------------------------- UBL / Peppol


def test_a_peppol_credit_note_reduces_its_invoice(con):
    documents = rows(
        con,
        "select invoice_type, invoice_number, net_amount::varchar, corrects_invoice_number from fct_invoices "
        "where source_file in ('base-example_peppol_20240131.xml', 'base-creditnote-correction_peppol_20240131.xml') "
        "order by invoice_type",
    )
    assert documents == [("credit_note", "Snippet1", "-1325.00", "Snippet1"), ("invoice", "Snippet1", "1325.00", None)]
    lines = rows(
        con,
        "select line_number, line_amount::varchar from int_invoice_lines_deduplicated "
        "where source_file = 'base-creditnote-correction_peppol_20240131.xml' order by line_number",
    )
    assert lines == [(1, "-2800.00"), (2, "1500.00")]
    assert rows(con, "select count(*) from fct_invoices where invoice_id like 'ubl:%'") == [(15,)]


# ---------------------------------------------------------------------------------------------- PII


def test_email_and_phone_never_reach_a_mart_in_clear_text(con):
    clear = {
        value.strip().lower()
        for (value,) in rows(
            con,
            "select email from raw_salesforce.contacts union select phone from raw_salesforce.contacts "
            "union select email from raw_salesforce.users union select property_email from raw_hubspot.contacts "
            "union select email from raw_hubspot.owners",
        )
        if value
    }
    assert len(clear) > 300
    marts = rows(
        con,
        "select table_name, column_name from information_schema.columns where table_schema = 'main' "
        "and (table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\') "
        "and data_type = 'VARCHAR'",
    )
    assert len(marts) > 20
    for table, column in marts:
        values = {v.strip().lower() for (v,) in rows(con, f'select distinct "{column}" from {table}') if v}
        assert not values & clear, f"{table}.{column} holds e-mail addresses or phone numbers"
    hashed = rows(
        con,
        "select email_hash = sha256(? || 'lsinisbury0@dropbox.com'), phone_hash = sha256(? || '5624081052') "
        "from int_contact_records_unioned where contact_id = 'salesforce:ContactRef1'",
        [PII_SALT, PII_SALT],
    )
    assert hashed == [(True, True)]
