"""The BI dashboards, built once from the demo run's serving file and opened in a real browser.

The site is built with dashboards/build.sh from the serving file that the shared demo run published,
served on 127.0.0.1 with Python's http.server, and every page is opened in headless Chromium. Each page
must render without an error box, a page error or a console error, quote its marts' dbt definitions,
and show numbers that this test reads itself from the serving file with SQL (exact match of the
formatted text). A PNG of every page is kept in test-artifacts/dashboards/.

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
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO_ROOT / "dashboards"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboards"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
BUILD_TIMEOUT_S = 300
BROWSER_TIMEOUT_S = 180


@dataclass(frozen=True)
class PageSpec:
    charts: int  # Plot charts the page draws (a chart that failed to draw leaves its card empty)
    marts: tuple[str, ...]  # marts whose dbt definition the page quotes


PAGES = {
    "index": PageSpec(0, ()),
    "order-intake": PageSpec(1, ("fct_order_intake",)),
    "pipeline": PageSpec(1, ("fct_pipeline_periods", "fct_pipeline_movement_periods", "fct_pipeline_coverage")),
    "win-rates": PageSpec(1, ("fct_win_rates", "fct_sales_cycles", "fct_sales_velocity")),
    "rep-consistency": PageSpec(1, ("fct_rep_consistency",)),
    "referrals": PageSpec(1, ("fct_referral_multiplier", "fct_referral_chains")),
    "stale-deals": PageSpec(0, ("fct_pipeline_periods", "fct_pipeline_snapshots", "fct_deal_outcomes")),
    "reconciliation": PageSpec(
        0, ("fct_won_deals_not_invoiced", "fct_invoices_unmatched", "fct_invoice_amount_deviations")
    ),
}


def dbt_descriptions() -> dict[str, str]:
    """Each mart's description from its dbt YAML, whitespace folded as dbt docs shows it."""
    found = {}
    for path in (REPO_ROOT / "dbt_project" / "models" / "marts").glob("**/_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            found[model["name"]] = " ".join(model.get("description", "").split())
    return found


# --- the numbers, read independently from the serving file ---------------------------------------------


def eur(value: Any) -> str:
    amount = float(value)
    return f"-€{-amount:,.0f}" if amount < 0 else f"€{amount:,.0f}"


def pct(value: Any) -> str:
    return f"{float(value):.1%}"


def times(value: Any) -> str:
    return f"{float(value):.2f}×"


def count(value: Any) -> str:
    return f"{int(value):,}"


def quarter(start: Any) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    rows = con.execute(sql).fetchall()
    assert len(rows) == 1, f"expected one row from: {sql}"
    return rows[0]


def expected_numbers(serving_db: Path) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str, str, str], str]]:
    """Headline numbers per page (data-metric -> text) and table cells ((page, table, key, column) -> text)."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        year_intake = one(
            con,
            "select booked_deal_count, booked_amount_eur, announcement_count, announcement_inflation "
            "from fct_order_intake where period_grain = 'year' order by period_start_date desc limit 1",
        )
        busiest_quarter = one(
            con,
            "select period_start_date, booked_deal_count, booked_amount_eur from fct_order_intake "
            "where period_grain = 'quarter' order by booked_deal_count desc, period_start_date limit 1",
        )
        year_rates = one(
            con,
            "select closed_deal_count, win_rate_count, win_rate_amount, no_go_rate_count from fct_win_rates "
            "where period_grain = 'year' and breakdown = 'total' order by period_start_date desc limit 1",
        )
        rate_quarter = one(
            con,
            "select period_start_date, closed_deal_count, win_rate_count, no_go_rate_amount from fct_win_rates "
            "where period_grain = 'quarter' and breakdown = 'total' and closed_deal_count > 0 "
            "order by closed_deal_count desc, period_start_date limit 1",
        )
        latest_quarter_pipeline = one(
            con,
            "select open_deal_count, open_pipeline_eur, weighted_pipeline_eur from fct_pipeline_periods "
            "where period_grain = 'quarter' and dimension_name = 'all' order by period_start_date desc limit 1",
        )
        top_team = one(
            con,
            "select dimension_value, open_pipeline_eur from fct_pipeline_periods "
            "where period_grain = 'quarter' and dimension_name = 'team' "
            "and period_start_date = "
            "(select max(period_start_date) from fct_pipeline_periods where period_grain = 'quarter') "
            "order by open_pipeline_eur desc, dimension_value limit 1",
        )
        movement = one(
            con,
            "select period_start_date, opening_pipeline_eur, won_eur, closing_pipeline_eur "
            "from fct_pipeline_movement_periods where period_grain = 'quarter' and dimension_name = 'all' "
            "order by abs(won_eur) desc, period_start_date limit 1",
        )
        latest_day = one(
            con,
            "select open_pipeline_eur, stale_deal_count, stale_pipeline_eur, stale_pipeline_share "
            "from fct_pipeline_periods where period_grain = 'day' and dimension_name = 'all' "
            "order by period_start_date desc limit 1",
        )
        top_rep = one(
            con,
            "select owner_id, bookings_eur_12m, closed_deal_count_12m from fct_rep_consistency "
            "where period_start_date = (select max(period_start_date) from fct_rep_consistency) "
            "order by bookings_eur_12m desc, owner_id limit 1",
        )
        referral = one(
            con,
            "select multiplier, referring_customer_count, referred_won_deal_count from fct_referral_multiplier "
            "where cycle_number = 1",
        )
        biggest_stale = one(
            con,
            "select deal_id, amount_eur, days_since_last_activity from fct_pipeline_snapshots "
            "where is_stale and date_day = (select max(date_day) from fct_pipeline_snapshots) "
            "order by amount_eur desc nulls last, deal_id limit 1",
        )
        at_risk = one(
            con,
            "select deal_id, amount_eur from fct_deal_outcomes where is_at_risk "
            "order by amount_eur desc nulls last, deal_id limit 1",
        )
        reconciliation = one(
            con,
            "select (select count(*) from fct_won_deals_not_invoiced), (select count(*) from fct_invoices_unmatched), "
            "(select count(*) from fct_invoice_amount_deviations), (select count(*) from fct_invoices_on_lost_deals)",
        )
        oldest_uninvoiced = one(
            con,
            "select deal_id, days_since_signature, amount_eur from fct_won_deals_not_invoiced "
            "order by days_since_signature desc nulls first, deal_id limit 1",
        )
    metrics = {
        "index": {
            "booked_amount_eur": eur(year_intake[1]),
            "announcement_inflation": times(year_intake[3]),
            "win_rate": pct(year_rates[1]),
            "no_go_rate": pct(year_rates[3]),
            "open_pipeline_eur": eur(latest_day[0]),
            "stale_pipeline_share": pct(latest_day[3]),
        },
        "order-intake": {
            "booked_deals": count(year_intake[0]),
            "booked_amount_eur": eur(year_intake[1]),
            "announcements": count(year_intake[2]),
            "announcement_inflation": times(year_intake[3]),
        },
        "pipeline": {
            "open_deals": count(latest_quarter_pipeline[0]),
            "open_pipeline_eur": eur(latest_quarter_pipeline[1]),
            "weighted_pipeline_eur": eur(latest_quarter_pipeline[2]),
        },
        "win-rates": {
            "closed_deals": count(year_rates[0]),
            "win_rate": pct(year_rates[1]),
            "win_rate_amount": pct(year_rates[2]),
            "no_go_rate": pct(year_rates[3]),
        },
        "rep-consistency": {},
        "referrals": {
            "referral_multiplier": times(referral[0]),
            "referring_customers": count(referral[1]),
            "referred_won_deals": count(referral[2]),
        },
        "stale-deals": {
            "stale_deals": count(latest_day[1]),
            "stale_pipeline_eur": eur(latest_day[2]),
            "stale_pipeline_share": pct(latest_day[3]),
        },
        "reconciliation": {
            "uninvoiced_won_deals": count(reconciliation[0]),
            "unmatched_invoices": count(reconciliation[1]),
            "amount_deviations": count(reconciliation[2]),
            "invoices_on_lost_deals": count(reconciliation[3]),
        },
    }
    q, m = quarter(busiest_quarter[0]), quarter(movement[0])
    r = quarter(rate_quarter[0])
    cells = {
        ("order-intake", "intake-by-quarter", q, "booked_deal_count"): count(busiest_quarter[1]),
        ("order-intake", "intake-by-quarter", q, "booked_amount_eur"): eur(busiest_quarter[2]),
        ("pipeline", "pipeline-by-team", top_team[0], "open_pipeline_eur"): eur(top_team[1]),
        ("pipeline", "movement-by-quarter", m, "opening_pipeline_eur"): eur(movement[1]),
        ("pipeline", "movement-by-quarter", m, "won_eur"): eur(movement[2]),
        ("pipeline", "movement-by-quarter", m, "closing_pipeline_eur"): eur(movement[3]),
        ("win-rates", "rates-by-quarter", r, "closed_deal_count"): count(rate_quarter[1]),
        ("win-rates", "rates-by-quarter", r, "win_rate_count"): pct(rate_quarter[2]),
        ("win-rates", "rates-by-quarter", r, "no_go_rate_amount"): pct(rate_quarter[3]),
        ("rep-consistency", "reps", top_rep[0], "bookings_eur_12m"): eur(top_rep[1]),
        ("rep-consistency", "reps", top_rep[0], "closed_deal_count_12m"): count(top_rep[2]),
        ("stale-deals", "stale-deals", biggest_stale[0], "amount_eur"): eur(biggest_stale[1]),
        ("stale-deals", "stale-deals", biggest_stale[0], "days_since_last_activity"): count(biggest_stale[2]),
        ("stale-deals", "at-risk-deals", at_risk[0], "amount_eur"): eur(at_risk[1]),
        ("reconciliation", "uninvoiced-deals", oldest_uninvoiced[0], "days_since_signature"): count(
            oldest_uninvoiced[1]
        ),
        ("reconciliation", "uninvoiced-deals", oldest_uninvoiced[0], "amount_eur"): eur(oldest_uninvoiced[2]),
    }
    return metrics, cells


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
        self.definitions: dict[str, str] = {}
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
        if "data-definition" in a:
            self._capture, self._text = ("definition", a["data-definition"]), []
        elif "data-metric" in a:
            self._capture, self._text = ("metric", a["data-metric"]), []
        elif tag == "td" and self._table and self._row is not None and "data-col" in a:
            self._capture, self._text = ("cell", self._table, self._row, a["data-col"]), []

    def handle_endtag(self, tag: str) -> None:
        if self._capture and tag in ("div", "strong", "span", "td", "p"):
            if self._capture[0] == "definition" and tag != "p":
                return
            text = "".join(self._text).strip()
            if self._capture[0] == "definition":
                self.definitions[self._capture[1]] = text
            elif self._capture[0] == "metric":
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
def built_site(demo_run: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert demo_run.exit_code == 0, "the demo run failed: no serving file to build the dashboards from"
    out = tmp_path_factory.mktemp("dashboards") / "dist"
    result = run_build(demo_run.serving_db, out)
    assert result.returncode == 0, f"dashboards/build.sh failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out


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


def test_pages_show_the_marts_numbers_in_chromium(demo_run: Any, built_site: Path, tmp_path: Path) -> None:
    for page in PAGES:
        assert (built_site / f"{page}.html").is_file(), f"{page}.html missing from the build"
    metrics, cells = expected_numbers(demo_run.serving_db)
    documented = dbt_descriptions()
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
    for page, spec in PAGES.items():
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
        if facts.charts != spec.charts:
            failures.append(f"{page}: {facts.charts} charts drawn, expected {spec.charts}")
        missing = [mart for mart in spec.marts if mart not in facts.definitions]
        if missing:
            failures.append(f"{page}: no dbt definition shown for {missing}")
        for mart, text in facts.definitions.items():
            if documented[mart] not in " ".join(text.split()):
                failures.append(f"{page}: the definition of {mart} is not its dbt description: {text[:120]!r}")
        for metric, value in metrics[page].items():
            if facts.metrics.get(metric) != value:
                failures.append(f"{page}: {metric} shows {facts.metrics.get(metric)!r}, expected {value!r}")
        for (cell_page, table, key, column), value in cells.items():
            if cell_page == page and facts.cells.get((table, key, column)) != value:
                shown = facts.cells.get((table, key, column))
                failures.append(f"{page}: {table}[{key}].{column} shows {shown!r}, expected {value!r}")
        if not metrics[page] and not any(cell[0] == page for cell in cells):
            failures.append(f"{page}: the test checks no number on it")
    assert not failures, "\n".join(failures)
