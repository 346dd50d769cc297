"""The BI dashboards, built from a hand-made serving file and opened in a real browser.

The serving file below holds a few deals and invoices whose headline numbers are worked out by hand in
EXPECTED. The test builds the site with dashboards/build.sh, serves it on 127.0.0.1 with Python's
http.server, opens every page in headless Chromium, and checks that each page rendered without an error
box and shows exactly those numbers. A PNG of every page is kept in test-artifacts/dashboards/.

Set-up it needs (see docs/dashboards.md): `apt-get install -y chromium`, and npm (build.sh runs
`npm ci` in dashboards/ when node_modules is missing).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO_ROOT / "dashboards"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboards"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
BUILD_TIMEOUT_S = 240
BROWSER_TIMEOUT_S = 120
# page -> number of Plot charts it draws (a chart that failed to draw leaves its card empty)
PAGES = {"index": 1, "order-intake": 2, "win-rates": 1, "reconciliation": 1}

# --- the serving file ---------------------------------------------------------------------------------
#
# Deals (amount_eur; won deals close on booked_at, lost deals on their 'lost' event):
#   D1 won  booked 2024-01-15  10,000  3 announcements  invoiced
#   D2 won  booked 2024-02-20   5,000  2 announcements  never invoiced
#   D3 lost closed 2024-03-10  20,000
#   D4 won  booked 2024-04-05   8,000  3 announcements  invoiced (8,800 USD: the EUR amount counts)
#   D5 lost closed 2024-05-20   2,000
#   D6 lost closed 2024-06-01   4,000
#   D7 open                     7,000
#   D8 won  booked 2024-06-30  12,000  1 announcement   never invoiced
#   D9 lost, no close date anywhere: left out of the rates, reported in a note
# Invoices: INV-1 -> D1, INV-2 -> D4, INV-3 and CN-5 match no deal, INV-4 -> D4 needs review.
# The latest date in the data is INV-4's 2024-07-31: the as-of date.

DEALS_COLUMNS = """
    deal_id varchar, source_system varchar, deal_name varchar, account_id varchar, owner_id varchar,
    lead_source varchar, referrer_account_id varchar, status varchar, stage varchar,
    amount decimal(18, 2), currency varchar, amount_eur decimal(18, 2), created_at timestamp,
    verbal_order_at timestamp, signed_at timestamp, first_invoiced_at timestamp, booked_at timestamp,
    invoiced_amount decimal(18, 2), credited_amount decimal(18, 2), announcement_count integer,
    lost_reason varchar, expected_close_date date
"""
# deal_id, name, owner, status, stage, amount, currency, amount_eur, created, booked, first_invoiced, announcements
DEALS = [
    ("D1", "Alpha audit", "R1", "won", "Won", 10000, "EUR", 10000, "2023-11-02", "2024-01-15", "2024-02-01", 3),
    ("D2", "Beta advice", "R2", "won", "Won", 5000, "EUR", 5000, "2023-12-01", "2024-02-20", None, 2),
    ("D3", "Gamma project", "R1", "lost", "Lost", 20000, "EUR", 20000, "2023-10-10", None, None, 0),
    ("D4", "Delta $ trust", "R2", "won", "Won", 8800, "USD", 8000, "2024-01-20", "2024-04-05", "2024-04-20", 3),
    ("D5", "Epsilon review", "R1", "lost", "Lost", 2000, "EUR", 2000, "2024-02-02", None, None, 0),
    ("D6", "Zeta <rollout>", "R2", "lost", "Lost", 4000, "EUR", 4000, "2024-03-03", None, None, 1),
    ("D7", "Eta retainer", "R1", "open", "Proposal", 7000, "EUR", 7000, "2024-05-01", None, None, 1),
    ("D8", "Theta advisory", "R1", "won", "Won", 12000, "EUR", 12000, "2024-04-01", "2024-06-30", None, 1),
    ("D9", "Iota pilot", "R2", "lost", "Lost", 3000, "EUR", 3000, "2024-01-05", None, None, 0),
]
EVENTS = [
    ("D1", "verbal_order", "2024-01-05"),
    ("D1", "contract_signed", "2024-01-15"),
    ("D1", "first_invoice", "2024-02-01"),
    ("D3", "lost", "2024-03-10"),
    ("D5", "lost", "2024-05-20"),
    ("D6", "verbal_order", "2024-05-01"),
    ("D6", "lost", "2024-06-01"),
    ("D8", "contract_signed", "2024-06-30"),
]
# invoice_id, number, type, customer, date, net_amount_eur, deal_id, match_rule, needs_review
INVOICES = [
    ("I1", "INV-1", "invoice", "Alpha GmbH", "2024-02-01", 10000, "D1", "deal_reference", False),
    ("I2", "INV-2", "invoice", "Delta Inc", "2024-04-20", 8000, "D4", "deal_reference", False),
    ("I3", "INV-3", "invoice", "Unknown Ltd", "2024-05-05", 1500, None, None, False),
    ("I4", "INV-4", "invoice", "Delta Inc", "2024-07-31", 500, "D4", "account_and_amount", True),
    ("I5", "CN-5", "credit_note", "Omega AG", "2024-06-15", -300, None, None, False),
]

AS_OF = date(2024, 7, 31)
EXPECTED = {
    "index": {
        "as_of": "2024-07-31",
        "booked_deals": "4",  # D1, D2, D4, D8
        "booked_amount_eur": "€35,000",  # 10,000 + 5,000 + 8,000 + 12,000
        "latest_quarter_amount_eur": "€20,000",  # 2024-Q2: D4 + D8
        "announcement_inflation": "2.25×",  # (3 + 2 + 3 + 1) / 4
        "win_rate": "57.1%",  # 4 won / 7 dated closed deals (D9 has no close date)
        "win_rate_amount": "57.4%",  # 35,000 / (35,000 + 20,000 + 2,000 + 4,000)
        "no_go_rate": "42.9%",  # 3 / 7
        "open_deals": "1",  # D7
        "uninvoiced_won_deals": "2",  # D2, D8
        "unmatched_invoices": "2",  # INV-3, CN-5
        "review_invoices": "1",  # INV-4
    },
    "order-intake": {
        "booked_deals": "4",
        "booked_amount_eur": "€35,000",
        "announcements": "9",
        "announcement_inflation": "2.25×",
    },
    "win-rates": {
        "closed_deals": "7",
        "win_rate": "57.1%",
        "win_rate_amount": "57.4%",
        "closed_amount_eur": "€61,000",
    },
    "reconciliation": {
        "uninvoiced_won_deals": "2",
        "oldest_uninvoiced_days": f"{(AS_OF - date(2024, 2, 20)).days} days",  # D2: 162 days
        "unmatched_invoices": "2",
        "review_invoices": "1",
    },
}
EXPECTED_ROWS = {
    ("order-intake", "intake-by-quarter"): {
        # Q1: D1 + D2, 5 announcements; Q2: D4 + D8, 4 announcements
        "2024-Q1": {"booked_deals": "2", "booked_amount_eur": "€15,000", "announcements": "5", "inflation": "2.50×"},
        "2024-Q2": {"booked_deals": "2", "booked_amount_eur": "€20,000", "announcements": "4", "inflation": "2.00×"},
    },
    ("win-rates", "rates-by-quarter"): {
        # Q1: D1, D2 won, D3 lost; amounts 15,000 won of 35,000. Q2: D4, D8 won, D5, D6 lost; 20,000 of 26,000
        "2024-Q1": {
            "closed_deals": "3",
            "won_deals": "2",
            "lost_deals": "1",
            "win_rate": "66.7%",
            "no_go_rate": "33.3%",
            "win_rate_amount": "42.9%",
            "no_go_rate_amount": "57.1%",
        },
        "2024-Q2": {
            "closed_deals": "4",
            "won_deals": "2",
            "lost_deals": "2",
            "win_rate": "50.0%",
            "no_go_rate": "50.0%",
            "win_rate_amount": "76.9%",
            "no_go_rate_amount": "23.1%",
        },
    },
    ("reconciliation", "uninvoiced-deals"): {
        "D2": {"days_uninvoiced": str((AS_OF - date(2024, 2, 20)).days), "amount_eur": "€5,000", "owner": "Rita Two"},
        "D8": {"days_uninvoiced": str((AS_OF - date(2024, 6, 30)).days), "amount_eur": "€12,000"},
    },
    ("reconciliation", "uninvoiced-age"): {
        "0–30 days": {"deals": "0"},
        "31–90 days": {"deals": "1", "amount_eur": "€12,000"},  # D8: 31 days
        "91–180 days": {"deals": "1", "amount_eur": "€5,000"},  # D2: 162 days
    },
    ("reconciliation", "unmatched-invoices"): {
        "INV-3": {"net_amount_eur": "€1,500", "customer_name": "Unknown Ltd"},
        "CN-5": {"net_amount_eur": "-€300", "invoice_type": "credit_note"},
    },
    ("reconciliation", "review-invoices"): {
        "INV-4": {"deal_id": "D4", "match_rule": "account_and_amount", "net_amount_eur": "€500"},
    },
}


def write_serving_file(path: Path) -> None:
    """The marts as the pipeline publishes them, with the rows above."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"create table fct_deals ({DEALS_COLUMNS})")
        for deal_id, name, owner, status, stage, amount, cur, eur, created, booked, invoiced, ann in DEALS:
            con.execute(
                """
                insert into fct_deals (deal_id, source_system, deal_name, account_id, owner_id, status, stage,
                    amount, currency, amount_eur, created_at, signed_at, booked_at, first_invoiced_at,
                    announcement_count)
                values (?, 'crm', ?, 'A-' || ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    deal_id,
                    name,
                    deal_id,
                    owner,
                    status,
                    stage,
                    amount,
                    cur,
                    eur,
                    created,
                    booked,
                    booked,
                    invoiced,
                    ann,
                ],
            )
        con.execute(
            """
            create table fct_deal_events (
                deal_id varchar, event_type varchar, event_at timestamp, amount decimal(18, 2),
                currency varchar, source_system varchar
            )
            """
        )
        con.executemany("insert into fct_deal_events values (?, ?, ?, null, null, 'crm')", EVENTS)
        con.execute(
            """
            create table fct_invoices (
                invoice_id varchar, invoice_number varchar, invoice_type varchar, account_id varchar,
                customer_name varchar, invoice_date date, currency varchar, net_amount decimal(18, 2),
                net_amount_eur decimal(18, 2), deal_id varchar, match_rule varchar, needs_review boolean
            )
            """
        )
        con.executemany(
            "insert into fct_invoices values (?, ?, ?, null, ?, ?, 'EUR', ?, ?, ?, ?, ?)",
            [(i, n, t, c, d, a, a, deal, rule, review) for i, n, t, c, d, a, deal, rule, review in INVOICES],
        )
        con.execute("create table dim_accounts (account_id varchar, account_name varchar)")
        con.execute("create table dim_sales_reps (owner_id varchar, full_name varchar, team varchar)")
        con.execute("insert into dim_sales_reps values ('R1', 'Rob One', 'North'), ('R2', 'Rita Two', 'South')")
        con.execute(
            "create table dealledger_publication as "
            "select 'test-run-1' as run_id, timestamp '2024-08-01 06:00:00' as published_at"
        )


# --- browser and server helpers -----------------------------------------------------------------------


def chromium_path() -> str:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed for the dashboard tests and was not found. Set up with: "
        "apt-get update && apt-get install -y chromium (see docs/dashboards.md)",
        pytrace=False,
    )


def node_path() -> str:
    found = shutil.which("node")
    if not found:
        pytest.fail(
            "node (20 or later) and npm are needed to build the dashboards (see docs/dashboards.md)", pytrace=False
        )
    return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on a free loopback port for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class DomFacts(HTMLParser):
    """Collects data-metric values, table cells by row key and column, and error markers."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[str, str] = {}
        self.cells: dict[tuple[str, str, str], str] = {}
        self.errors: list[str] = []
        self.charts = 0
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._table: str | None = None
        self._row: str | None = None
        self._capture: tuple[str, ...] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if "observablehq--error" in classes:
            self.errors.append(f"<{tag} class={a.get('class')}>")
        if tag == "svg" and any(c.startswith("plot-") for c in classes):
            self.charts += 1
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
        if tag == "tr":
            self._row = a.get("data-key")
        if "data-metric" in a:
            self._capture, self._text = ("metric", a["data-metric"]), []
        elif tag == "td" and self._table and self._row is not None and "data-col" in a:
            self._capture, self._text = ("cell", self._table, self._row, a["data-col"]), []

    def handle_endtag(self, tag: str) -> None:
        if self._capture and tag in ("div", "strong", "span", "td"):
            text = "".join(self._text).strip()
            if self._capture[0] == "metric":
                self.metrics[self._capture[1]] = text
            else:
                self.cells[self._capture[1:]] = text
            self._capture = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text.append(data)


# --- the test -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("dashboards")
    serving_db = base / "serving.duckdb"
    write_serving_file(serving_db)
    out = base / "dist"
    result = run_build(serving_db, out)
    assert result.returncode == 0, f"dashboards/build.sh failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out


def test_build_writes_every_page(built_site: Path) -> None:
    for page in PAGES:
        assert (built_site / f"{page}.html").is_file(), f"{page}.html missing from the build"


def test_pages_render_the_serving_numbers_in_chromium(built_site: Path, tmp_path: Path) -> None:
    browser, node = chromium_path(), node_path()
    snapshots = tmp_path / "snapshots"
    with serve(built_site) as base_url:
        result = subprocess.run(
            [node, str(DASHBOARDS / "scripts" / "snapshot.mjs"), "--base", base_url, "--out", str(snapshots), *PAGES],
            env={**os.environ, "CHROMIUM_PATH": browser},
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT_S,
            check=False,
        )
    assert result.returncode == 0, f"snapshot.mjs failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for page, charts in PAGES.items():
        shutil.copyfile(snapshots / f"{page}.png", ARTIFACTS / f"{page}.png")
        report = json.loads((snapshots / f"{page}.json").read_text())
        for kind in ("pageErrors", "consoleErrors", "externalRequests", "failedRequests"):
            if report[kind]:
                failures.append(f"{page}: {kind}: {report[kind]}")
        dom = (snapshots / f"{page}.html").read_text()
        facts = DomFacts()
        facts.feed(dom)
        if facts.errors:
            failures.append(f"{page}: error boxes in the DOM: {facts.errors}")
        if "observablehq-main" not in dom:
            failures.append(f"{page}: the page body did not render")
        if facts.charts != charts:
            failures.append(f"{page}: {facts.charts} charts drawn, expected {charts}")
        for metric, value in EXPECTED[page].items():
            if facts.metrics.get(metric) != value:
                failures.append(f"{page}: {metric} shows {facts.metrics.get(metric)!r}, expected {value!r}")
        for (table_page, table), rows in EXPECTED_ROWS.items():
            if table_page != page:
                continue
            for key, columns in rows.items():
                for column, value in columns.items():
                    shown = facts.cells.get((table, key, column))
                    if shown != value:
                        failures.append(f"{page}: {table}[{key}].{column} shows {shown!r}, expected {value!r}")
    if "1 lost deal has no close date" not in (snapshots / "win-rates.html").read_text():
        failures.append("win-rates: the note on D9, the lost deal without a close date, is missing")
    assert not failures, "\n".join(failures)


def run_build(serving_db: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DEALLEDGER_SERVING_DB": str(serving_db),
        "DEALLEDGER_PYTHON": sys.executable,
        "DASHBOARDS_OUT": str(out),
    }
    return subprocess.run(
        ["bash", str(DASHBOARDS / "build.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )


def test_a_missing_column_fails_the_build_and_keeps_the_previous_site(tmp_path: Path) -> None:
    serving_db = tmp_path / "serving.duckdb"
    write_serving_file(serving_db)
    with duckdb.connect(str(serving_db)) as con:
        con.execute("alter table fct_deals drop column announcement_count")
    out = tmp_path / "dist"
    (out / "_observablehq").mkdir(parents=True)
    (out / "index.html").write_text("previous build")

    result = run_build(serving_db, out)

    assert result.returncode != 0
    assert "fct_deals lacks column(s) announcement_count" in result.stderr
    assert (out / "index.html").read_text() == "previous build"


def test_close_dates_come_from_closed_at_when_the_mart_has_one(tmp_path: Path) -> None:
    serving_db = tmp_path / "serving.duckdb"
    write_serving_file(serving_db)
    with duckdb.connect(str(serving_db)) as con:
        con.execute("alter table fct_deals add column closed_at timestamp")
        # D3's closed_at wins over its 'lost' event (2024-03-10); D9 gets a close date at last.
        con.execute("update fct_deals set closed_at = '2024-04-02' where deal_id = 'D3'")
        con.execute("update fct_deals set closed_at = '2024-09-01' where deal_id = 'D9'")
    sys.path.insert(0, str(DASHBOARDS / "src"))
    try:
        from _lib.metrics import close_rates
        from _lib.serving import Serving

        serving = Serving(serving_db)
        rates = close_rates(serving)
        serving.close()
    finally:
        sys.path.remove(str(DASHBOARDS / "src"))

    by_quarter = {q.quarter: (q.won_deals, q.lost_deals) for q in rates.quarters}
    assert by_quarter == {"2024-Q1": (2, 0), "2024-Q2": (2, 3), "2024-Q3": (0, 1)}
    assert (rates.undated_won, rates.undated_lost) == (0, 0)
