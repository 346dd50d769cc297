"""The demo generator: deterministic, in the export layouts, and consistent with its own ground truth."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dealledger.demo import AS_OF, generate_demo
from dealledger.ingest.layouts import LAYOUTS, LAYOUTS_BY_KIND, layout_for_file
from dealledger.ingest.loader import ensure_raw_tables, load_export_file

LAST_EXPORT = f"{AS_OF:%Y%m%d}"
GENERIC_KINDS = {
    "crm_deals",
    "crm_deal_stage_history",
    "crm_accounts",
    "crm_contacts",
    "crm_activities",
    "crm_users",
    "billing_invoices",
    "billing_invoice_lines",
}


@dataclass(frozen=True)
class Demo:
    inbox: Path
    truth: Path
    summary: dict

    def sql(self, query: str) -> list[tuple]:
        """Query the files as text (`inbox` and `truth` are the folders) with DuckDB."""
        with duckdb.connect() as con:
            return con.execute(query.format(inbox=self.inbox, truth=self.truth)).fetchall()


def _generate(root: Path, **kwargs: int) -> Demo:
    summary = generate_demo(root / "inbox", root / "truth", **kwargs)
    return Demo(root / "inbox", root / "truth", summary)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dbt_manifest() -> None:
    """The demo needs no dbt project: overrides conftest's autouse `dbt parse` for this module."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return _generate(tmp_path_factory.mktemp("demo"))


def test_same_seed_and_scale_give_the_same_bytes(demo: Demo, tmp_path: Path):
    again = _generate(tmp_path / "again")
    assert _files(again.inbox) == _files(demo.inbox)
    assert _files(again.truth) == _files(demo.truth)
    other_seed = _generate(tmp_path / "other", seed=43)
    assert (other_seed.truth / "deals.csv").read_bytes() != (demo.truth / "deals.csv").read_bytes()


def test_every_file_has_its_layouts_header(demo: Demo):
    kinds = set()
    for path in demo.inbox.iterdir():
        declared = layout_for_file(path)
        assert declared is not None, path.name
        layout, _ = declared
        kinds.add(layout.kind)
        with path.open(encoding="utf-8") as handle:
            assert handle.readline().rstrip("\n").split(",") == layout.column_names, path.name
    assert kinds == GENERIC_KINDS == set(demo.summary["row_counts"])
    assert demo.summary["files"].keys() == {path.name for path in demo.inbox.iterdir()}


def test_the_strict_loader_takes_every_row(demo: Demo, tmp_path: Path):
    with duckdb.connect() as con:
        ensure_raw_tables(con, LAYOUTS)
        for path in sorted(demo.inbox.iterdir()):
            layout, export_date = layout_for_file(path)
            result = load_export_file(con, path, layout, export_date, "test", tmp_path / "quarantine")
            # Identical daily exports (e.g. crm_users) are the same content: loaded once.
            assert result.status in ("loaded", "skipped"), result
            assert result.rows_rejected == 0, result


def test_every_truth_deal_is_in_the_last_crm_export_as_the_truth_says(demo: Demo):
    exported = {row["deal_id"]: row for row in _csv(demo.inbox / f"crm_deals_{LAST_EXPORT}.csv")}
    truth = _csv(demo.truth / "deals.csv")
    assert len(truth) == demo.summary["deal_count"] == 2000
    stage_of = {
        "won": {"Closed Won"},
        "lost": {"Closed Lost"},
        "open": {"Lead", "Qualified", "Proposal", "Verbal Order"},
    }
    for deal in truth:
        row = exported[deal["deal_id"].removeprefix("crm:")]
        assert row["stage"] in stage_of[deal["status"]]
        assert (row["amount"], row["currency"], row["owner_id"]) == (deal["amount"], deal["currency"], deal["owner_id"])
        assert row["merged_into_deal_id"] == "" and row["is_deleted"] == "false"
    # Merged duplicates and deals created by mistake are exported but are not real deals.
    not_real = [row for row in exported.values() if row["merged_into_deal_id"] or row["is_deleted"] == "true"]
    assert len(not_real) == demo.summary["merged_duplicate_count"] + demo.summary["deleted_deal_count"]
    assert len(exported) == len(truth) + len(not_real)


def test_truth_totals_add_up(demo: Demo):
    truth = _csv(demo.truth / "deals.csv")
    won = [deal for deal in truth if deal["status"] == "won"]
    assert len(won) == demo.summary["won_count"]
    assert sum(Decimal(deal["amount_eur"]) for deal in won) == Decimal(demo.summary["won_amount_eur"])
    assert all(deal["signed_date"] for deal in won)
    links = _csv(demo.truth / "invoice_links.csv")
    assert len(links) == demo.summary["invoice_count"] + demo.summary["credit_note_count"]
    assert sum(not link["deal_id"] for link in links) == demo.summary["unlinked_invoice_count"]
    for kind, rows in demo.summary["row_counts"].items():
        assert demo.sql(f"select count(*) from read_csv('{{inbox}}/{kind}_*.csv', all_varchar = true)")[0][0] == rows


def test_invoice_lines_add_up_to_the_net_amount(demo: Demo):
    mismatches = demo.sql(
        """
        with invoices as (
            select distinct invoice_id, net_amount::decimal(18, 2) as net_amount,
                vat_amount::decimal(18, 2) as vat_amount, total_amount::decimal(18, 2) as total_amount
            from read_csv('{inbox}/billing_invoices_*.csv', all_varchar = true)
        ),
        lines as (
            select invoice_id, sum(line_amount::decimal(18, 2)) as line_total, count(*) as line_count
            from (select distinct * from read_csv('{inbox}/billing_invoice_lines_*.csv', all_varchar = true))
            group by invoice_id
        )
        select i.invoice_id
        from invoices as i
        left join lines as l using (invoice_id)
        where l.line_total is distinct from i.net_amount
            or l.line_count not between 1 and 3
            or i.total_amount <> i.net_amount + i.vat_amount
            or i.vat_amount <> round(i.net_amount * 0.21, 2)
        """
    )
    assert mismatches == []


def test_the_installments_of_a_deal_add_up_to_its_amount(demo: Demo):
    mismatches = demo.sql(
        """
        with invoices as (
            select distinct invoice_id, invoice_type, currency, net_amount::decimal(18, 2) as net_amount
            from read_csv('{inbox}/billing_invoices_*.csv', all_varchar = true)
        ),
        links as (select * from read_csv('{truth}/invoice_links.csv', all_varchar = true)),
        deals as (select * from read_csv('{truth}/deals.csv', all_varchar = true))
        select d.deal_id, d.amount, sum(i.net_amount), count(distinct i.currency)
        from invoices as i
        join links as l on l.invoice_id = 'billing:' || i.invoice_id
        join deals as d on d.deal_id = l.deal_id
        where i.invoice_type = 'invoice'
        group by d.deal_id, d.amount
        having sum(i.net_amount) <> d.amount::decimal(18, 2) or any_value(i.currency) <> any_value(d.currency)
        """
    )
    assert mismatches == []
    invoiced_deals = demo.sql(
        "select count(distinct deal_id) from read_csv('{truth}/invoice_links.csv', all_varchar = true)"
    )[0][0]
    assert invoiced_deals == demo.summary["won_count"] - demo.summary["won_not_invoiced_count"]


def test_each_invoice_is_in_at_most_two_billing_exports_identically(demo: Demo):
    for kind, key in (("billing_invoices", "invoice_id"), ("billing_invoice_lines", "invoice_id, line_number")):
        columns = ", ".join(LAYOUTS_BY_KIND[kind].column_names)
        offenders = demo.sql(
            f"""
            select {key}, count(*), count(distinct ({columns}))
            from read_csv('{{inbox}}/{kind}_*.csv', all_varchar = true)
            group by {key}
            having count(*) > 2 or count(distinct ({columns})) > 1
            """
        )
        assert offenders == [], kind


def test_deals_change_between_the_daily_exports(demo: Demo):
    first, last = demo.summary["crm_export_dates"][0].replace("-", ""), LAST_EXPORT
    changed = demo.sql(
        f"""
        select count(*) from (
            select * from read_csv('{{inbox}}/crm_deals_{last}.csv', all_varchar = true)
            except
            select * from read_csv('{{inbox}}/crm_deals_{first}.csv', all_varchar = true)
        )
        """
    )[0][0]
    assert changed >= 0.03 * demo.summary["deal_count"]


def test_a_changes_export_holds_the_rows_that_changed_since_the_day_before(demo: Demo, tmp_path: Path):
    changes = _generate(tmp_path / "changes", changes_exports=1)
    assert changes.summary["crm_changes_export_dates"] == demo.summary["crm_export_dates"][-1:]
    before, last = (day.replace("-", "") for day in demo.summary["crm_export_dates"][-2:])
    full_files = [name for name in _files(demo.inbox) if name.startswith("crm_") and last in name]
    assert len(full_files) == 6
    for name in full_files:
        kind = name.removesuffix(f"_{last}.csv")
        changed_name = f"{kind}_changes_{last}.csv"
        assert not (changes.inbox / name).exists()
        expected = demo.sql(
            f"""
            select * from read_csv('{{inbox}}/{name}', all_varchar = true)
            except all select * from read_csv('{{inbox}}/{kind}_{before}.csv', all_varchar = true)
            """
        )
        changed = changes.sql(f"select * from read_csv('{{inbox}}/{changed_name}', all_varchar = true)")
        assert sorted(changed, key=repr) == sorted(expected, key=repr), kind
        assert changes.summary["files"][changed_name] == len(changed), kind
    # Deals and their stage changes move on the last day; the demo's users never change.
    assert changes.summary["files"][f"crm_deals_changes_{last}.csv"] > 0
    assert changes.summary["files"][f"crm_users_changes_{last}.csv"] == 0
    # Everything before the changes day is the same bytes.
    assert {k: v for k, v in _files(changes.inbox).items() if last not in k} == {
        k: v for k, v in _files(demo.inbox).items() if last not in k
    }


def test_the_first_crm_export_is_always_full(tmp_path: Path):
    with pytest.raises(ValueError, match="changes_exports"):
        _generate(tmp_path, deals=10, crm_exports=2, changes_exports=2)


def test_the_hard_cases_exist_at_the_default_scale(demo: Demo):
    cases = demo.summary["cases"]
    assert all(case for case in cases.values()), cases
    invoices = {
        row[0]: row
        for row in demo.sql(
            "select distinct invoice_id, invoice_number, total_amount, reference, corrects_invoice_number, "
            "invoice_type, net_amount from read_csv('{inbox}/billing_invoices_*.csv', all_varchar = true)"
        )
    }
    deals = {row["deal_id"]: row for row in _csv(demo.inbox / f"crm_deals_{LAST_EXPORT}.csv")}
    links = {row["invoice_id"]: row["deal_id"] for row in _csv(demo.truth / "invoice_links.csv")}

    first, second = (invoices[i.removeprefix("billing:")] for i in cases["duplicate_invoice_number"]["invoice_ids"])
    assert first[1] == second[1] == cases["duplicate_invoice_number"]["invoice_number"] and first[2] != second[2]

    credit = invoices[cases["credit_note"]["invoice_id"].removeprefix("billing:")]
    assert credit[5] == "credit_note" and Decimal(credit[6]) < 0
    corrected = [row for row in invoices.values() if row[1] == credit[4] and row[5] == "invoice"]
    assert len(corrected) == 1 and links[f"billing:{corrected[0][0]}"] == cases["credit_note"]["deal_id"]

    po_deal = deals[cases["po_number_only_reference"].removeprefix("crm:")]
    po_references = {
        invoices[i.removeprefix("billing:")][3] for i, d in links.items() if d == f"crm:{po_deal['deal_id']}"
    }
    assert po_references >= {po_deal["po_number"]} and po_references <= {po_deal["po_number"], None}

    a, b = (deals[d.removeprefix("crm:")] for d in cases["equal_amounts_same_account_and_month"])
    truth = {row["deal_id"]: row for row in _csv(demo.truth / "deals.csv")}
    signed = [truth[f"crm:{deal['deal_id']}"]["signed_date"][:7] for deal in (a, b)]
    assert (a["account_id"], a["amount"], a["currency"]) == (b["account_id"], b["amount"], b["currency"])
    assert signed[0] == signed[1]

    merged = cases["merged_duplicate"]
    assert deals[merged["deal_id"].removeprefix("crm:")]["merged_into_deal_id"] == merged["merged_into_deal_id"][4:]
    assert deals[cases["deleted_deal"].removeprefix("crm:")]["is_deleted"] == "true"
    spelled = cases["account_spelled_two_ways"]
    assert spelled["crm_name"] != spelled["billing_name"]
    assert len(cases["referral_chain"]) >= 4  # three generations of referrals at least


def test_summary_json_is_the_returned_summary(demo: Demo):
    assert json.loads((demo.truth / "summary.json").read_text(encoding="utf-8")) == demo.summary


@pytest.mark.slow
def test_twenty_thousand_deals(tmp_path: Path):
    summary = generate_demo(tmp_path / "inbox", tmp_path / "truth", deals=20_000, seed=1)
    assert summary["deal_count"] == 20_000
