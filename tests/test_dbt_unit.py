"""The dbt project on its own: demo exports loaded straight into the raw tables, a real `dbt build`, the
marts compared with the demo's ground truth (deals, won amount, invoice-to-deal links, the hard cases).

The exports are loaded with plain DuckDB `read_csv` (typed, no sniffing), not through the ingest assets, so
a failure here points at the dbt project. dbt writes its target and logs into the test's temporary folder.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dealledger.demo.generator import generate_demo
from dealledger.ingest.layouts import LAYOUTS, layout_for_file, raw_table_ddl
from dealledger.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_SOURCES = ("crm", "billing")
DEMO_DEALS = 400
DEMO_SEED = 7
MIN_LINK_PRECISION = 0.99
MIN_LINK_RECALL = 0.99


@dataclass(frozen=True)
class DbtBuild:
    db: Path
    truth_dir: Path
    result: subprocess.CompletedProcess

    @property
    def summary(self) -> dict:
        return json.loads((self.truth_dir / "summary.json").read_text())

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def create_raw_tables(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        # Every source's staging view reads its raw table, so all of them must exist (empty is fine).
        for layout in LAYOUTS:
            con.execute(f"create schema if not exists {layout.raw_schema}")
            con.execute(raw_table_ddl(layout))


def load_exports(db: Path, inbox: Path) -> None:
    """Every export file into its raw table with the lineage columns, as the ingest assets load them."""
    with duckdb.connect(str(db)) as con:
        for load_number, path in enumerate(sorted(inbox.glob("*.csv")), start=1):
            found = layout_for_file(path)
            assert found is not None, f"no layout for {path.name}"
            layout, export_date = found
            if layout.source not in DBT_SOURCES:
                continue
            columns = "{" + ", ".join(f"'{name}': '{type_}'" for name, type_ in layout.columns) + "}"
            con.execute(
                f"""
                insert into {layout.raw_table} by name
                select
                    *,
                    ? as _source_file,
                    ? as _content_hash,
                    row_number() over () as _row_number,
                    ? as _load_id,
                    cast(? as date) as _export_date
                from read_csv(?, header = true, delim = ',', quote = '"', columns = {columns}, auto_detect = false)
                """,
                [
                    path.name,
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                    f"load{load_number}",
                    export_date,
                    str(path),
                ],
            )


def run_dbt(args: list[str], db: Path, work_dir: Path, project: Path = DBT_PROJECT_DIR) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env = {**os.environ, "DEALLEDGER_BUILD_DB": str(db)}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def project_with_edited_seed(work_dir: Path, seed: str, old: str, new: str) -> Path:
    """A copy of the dbt project reading a copy of the seeds in which `old` is replaced by `new` in one seed
    (as sales ops edit them); the copy's folder."""
    project, seeds = work_dir / "dbt_project", work_dir / "seeds"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(REPO_ROOT / "seeds", seeds)
    edited = seeds / f"{seed}.csv"
    text = edited.read_text()
    assert old in text, f"{old!r} is not in {edited.name}"
    edited.write_text(text.replace(old, new))
    project_yml = project / "dbt_project.yml"
    project_yml.write_text(project_yml.read_text().replace("../seeds", str(seeds)))
    return project


def failed_nodes(work_dir: Path) -> list[str]:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return [result["unique_id"] for result in results if result["status"] not in ("success", "pass")]


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    work = tmp_path_factory.mktemp("dbt_demo")
    db, inbox, truth = work / "build.duckdb", work / "inbox", work / "truth"
    generate_demo(inbox, truth, deals=DEMO_DEALS, seed=DEMO_SEED)
    create_raw_tables(db)
    load_exports(db, inbox)
    result = run_dbt(["build"], db, work)
    assert result.returncode == 0, result.stdout[-4000:]
    assert failed_nodes(work) == []
    return DbtBuild(db=db, truth_dir=truth, result=result)


def read_truth(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_build_on_empty_raw_tables_passes(tmp_path):
    db = tmp_path / "build.duckdb"
    create_raw_tables(db)
    result = run_dbt(["build"], db, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert failed_nodes(tmp_path) == []


def test_deal_counts_and_won_amount_equal_the_truth(demo_build: DbtBuild):
    deals, won, won_amount = demo_build.query(
        "select count(*), count(*) filter (where status = 'won'), "
        "sum(amount_eur) filter (where status = 'won') from fct_deals"
    )[0]
    assert deals == demo_build.summary["deal_count"]
    assert won == demo_build.summary["won_count"]
    assert Decimal(won_amount) == Decimal(demo_build.summary["won_amount_eur"])


def test_every_deal_has_the_truths_status_amount_and_signature(demo_build: DbtBuild):
    marts = {
        deal_id: (status, Decimal(amount_eur), signed_date.isoformat() if signed_date else "", account_id)
        for deal_id, status, amount_eur, signed_date, account_id in demo_build.query(
            "select deal_id, status, amount_eur, cast(signed_at as date), account_id from fct_deals"
        )
    }
    truth = {
        row["deal_id"]: (row["status"], Decimal(row["amount_eur"]), row["signed_date"], row["account_id"])
        for row in read_truth(demo_build.truth_dir / "deals.csv")
    }
    assert marts == truth


def test_invoice_links_reach_the_precision_and_recall(demo_build: DbtBuild):
    links = {
        row["invoice_id"]: row["deal_id"] or None for row in read_truth(demo_build.truth_dir / "invoice_links.csv")
    }
    matched = dict(demo_build.query("select invoice_id, deal_id from fct_invoices"))
    assert set(matched) == set(links)  # one row per document, none lost, none invented
    predicted = {invoice: deal for invoice, deal in matched.items() if deal is not None}
    expected = {invoice: deal for invoice, deal in links.items() if deal is not None}
    correct = sum(1 for invoice, deal in predicted.items() if expected.get(invoice) == deal)
    assert correct / len(predicted) >= MIN_LINK_PRECISION
    assert correct / len(expected) >= MIN_LINK_RECALL


def test_the_hard_cases(demo_build: DbtBuild):
    cases = demo_build.summary["cases"]
    links = {row["invoice_id"]: row["deal_id"] for row in read_truth(demo_build.truth_dir / "invoice_links.csv")}

    po_deal = cases["po_number_only_reference"]
    po_invoices = demo_build.query("select invoice_id, match_rule from fct_invoices where deal_id = ?", [po_deal])
    assert {invoice for invoice, _ in po_invoices} == {i for i, d in links.items() if d == po_deal}
    assert {rule for _, rule in po_invoices} == {"explicit_reference"}

    credit = cases["credit_note"]
    assert demo_build.query("select deal_id from fct_invoices where invoice_id = ?", [credit["invoice_id"]]) == [
        (credit["deal_id"],)
    ]

    duplicate = cases["duplicate_invoice_number"]
    rows = demo_build.query(
        "select invoice_id, deal_id from fct_invoices where invoice_number = ? order by invoice_id",
        [duplicate["invoice_number"]],
    )
    assert [invoice for invoice, _ in rows] == sorted(duplicate["invoice_ids"])
    assert all(deal == (links[invoice] or None) for invoice, deal in rows)

    merged = cases["merged_duplicate"]
    assert demo_build.query("select count(*) from fct_deals where deal_id = ?", [merged["deal_id"]]) == [(0,)]
    assert demo_build.query(
        "select distinct deal_id from fct_deal_events where source_record_id = ?", [merged["deal_id"]]
    ) == [(merged["merged_into_deal_id"],)]

    deleted = cases["deleted_deal"]
    assert demo_build.query(
        "select count(*) from fct_deal_events where deal_id = ? or source_record_id = ?", [deleted, deleted]
    ) == [(0,)]

    spelled = cases["account_spelled_two_ways"]
    assert demo_build.query(
        "select count(*) from fct_invoices where account_id is distinct from ? and customer_name = ?",
        [spelled["account_id"], " ".join(spelled["billing_name"].split())],
    ) == [(0,)]


def test_invoices_reconcile_with_the_raw_exports(demo_build: DbtBuild):
    raw = demo_build.query(
        "select count(*), sum(net_amount) from (select distinct on (invoice_id) invoice_id, net_amount "
        "from raw_billing.invoices order by invoice_id, _export_date desc)"
    )[0]
    assert demo_build.query("select count(*), sum(net_amount) from fct_invoices")[0] == raw


def test_an_unknown_booking_policy_does_not_compile(tmp_path):
    result = run_dbt(["parse", "--vars", "{booking_policy: on_a_whim}"], tmp_path / "unused.duckdb", tmp_path)
    assert result.returncode != 0
    assert "booking_policy must be one of" in result.stdout


def test_the_primary_key_test_reports_a_repeated_key_and_a_missing_one(demo_build: DbtBuild, tmp_path):
    # A composite key (the lineage of a record union): one row twice, and one row without its row number.
    # Each is one failing row of the test (macro primary_key); every other key is unique.
    table = "int_deal_stage_changes_unioned"
    db = shutil.copy(demo_build.db, tmp_path / "build.duckdb")  # named as the original: views name their database
    with duckdb.connect(str(db)) as con:
        con.execute(f"insert into {table} select * from {table} limit 1")
        con.execute(f"insert into {table} select * replace (null as source_row) from {table} limit 1")
    result = run_dbt(
        ["test", "--select", f"primary_key_{table}_source_file__source_content_hash__source_row"], db, tmp_path
    )
    assert result.returncode == 1, result.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert [(node["status"], node["failures"]) for node in results] == [("fail", 2)]
