"""The `dealledger` command: generate demo exports, run the pipeline, print what it produced."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from dealledger.settings import Settings, load_settings


def _prepare_environment(settings: Settings) -> None:
    """dbt runs as a subprocess and finds the build database through DEALLEDGER_HOME."""
    os.environ["DEALLEDGER_HOME"] = str(settings.home)
    settings.home.mkdir(parents=True, exist_ok=True)


# What `dbt parse` reads, relative to the dbt project; seeds live beside it (seed-paths: ../seeds).
DBT_PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "../seeds")


def _newest_input_mtime(project_dir: Path) -> float:
    paths = [project_dir / name for name in DBT_PROJECT_INPUTS]
    files = [path for root in paths for path in ([root] if root.is_file() else root.rglob("*")) if path.is_file()]
    return max((path.stat().st_mtime for path in files), default=0.0)


def ensure_dbt_manifest(settings: Settings) -> None:
    """dagster-dbt needs target/manifest.json before the definitions load; `dbt parse` writes it.

    It is rebuilt whenever a model, macro, test or seed changed after it: a stale manifest makes
    dagster-dbt fail on the first node it does not know.
    """
    manifest = settings.dbt_project_dir / "target" / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime(settings.dbt_project_dir):
        return
    from dbt.cli.main import dbtRunner

    project = str(settings.dbt_project_dir)
    result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", project, "--profiles-dir", project])
    if not result.success:
        raise SystemExit(f"dbt parse failed for {project}: {result.exception}")


def run_pipeline(settings: Settings) -> int:
    """Run the whole job in this process; 0 only when every step and every blocking check passed."""
    from dagster import DagsterInstance

    from dealledger.definitions import PIPELINE_JOB, build_definitions
    from dealledger.resources import Warehouse
    from dealledger.run_report import failed_blocking_checks, failure_report

    _prepare_environment(settings)
    ensure_dbt_manifest(settings)
    job = build_definitions(settings).resolve_job_def(PIPELINE_JOB)
    print(f"dealledger: running {PIPELINE_JOB} on {settings.inbox_dir}", file=sys.stderr)
    # The terminal gets the progress per step (stderr); what the steps print, dbt's log above all (a line
    # per node and test), goes to the run's log file.
    log_path = settings.home / "logs" / f"run-{datetime.now():%Y%m%d-%H%M%S-%f}.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log, contextlib.redirect_stdout(log), DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    print(f"dealledger: the run's log (dbt's output) is {log_path}", file=sys.stderr)
    warehouse = Warehouse.from_settings(settings)
    if not result.success or failed_blocking_checks(result):
        print(failure_report(result, warehouse.serving_db), file=sys.stderr)
        return 1
    print_headline(warehouse.serving_db)
    return 0


def print_headline(serving_db: Path) -> None:
    """The headline numbers, read from the marts that define them (nothing is computed here)."""
    import duckdb

    with duckdb.connect(str(serving_db), read_only=True) as con:
        deals, won, won_eur, open_deals = con.execute(
            """
            select
                count(*),
                count(*) filter (where status = 'won'),
                coalesce(sum(amount_eur) filter (where status = 'won'), 0),
                count(*) filter (where status = 'open')
            from fct_deals
            """
        ).fetchone()
        booked, booked_eur, announcements = con.execute(
            """
            select
                sum(booked_deal_count),
                sum(booked_amount_eur),
                sum(announcement_count)
            from fct_order_intake
            where period_grain = 'year'
            """
        ).fetchone()
        invoices, matched = con.execute("select count(*), count(deal_id) from fct_invoices").fetchone()
    inflation = f"{announcements / booked:.2f} announcements per deal" if booked else "no booked deals"
    print(
        f"\nDeals: {deals} real deals ({won} won, {open_deals} open), won amount EUR {won_eur:,.2f}\n"
        f"Order intake counted once: {booked or 0} booked deals, EUR {booked_eur or 0:,.2f}; "
        f"the organisation saw {announcements or 0} announcements of them ({inflation})\n"
        f"Invoices: {invoices}, of which {matched} matched to a deal\n"
        f"Serving database (open read-only in your BI tool): {serving_db}"
    )


def run_demo(settings: Settings, deals: int, seed: int) -> int:
    from dealledger.demo.generator import generate_demo

    summary = generate_demo(settings.inbox_dir, settings.home / "demo_truth", deals=deals, seed=seed)
    print(
        f"dealledger: demo exports for {summary['deal_count']} deals written to {settings.inbox_dir}",
        file=sys.stderr,
    )
    return run_pipeline(settings)


def run_rollback(settings: Settings) -> int:
    from dealledger.serving.publish import rollback

    serving_db = settings.home / "serving.duckdb"
    try:
        restored = rollback(serving_db)
    except FileNotFoundError as error:
        print(f"dealledger: {error}", file=sys.stderr)
        return 1
    print(f"dealledger: {serving_db} restored from {restored.name}", file=sys.stderr)
    return 0


def run_sql(settings: Settings, query: str | None) -> int:
    """Analysts' way in: the serving file, read-only, so a session never blocks the pipeline's publish."""
    import duckdb

    serving_db = settings.home / "serving.duckdb"
    if not serving_db.exists():
        print(f"dealledger: {serving_db} does not exist yet; run `dealledger run` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(serving_db), read_only=True) as con:
        try:
            relation = con.sql(query if query is not None else sys.stdin.read())
        except duckdb.InvalidInputException as error:
            if "read-only mode" not in str(error):
                raise
            print(
                "dealledger: refused: the serving file is read-only; `dealledger sql` only reads (select, "
                "describe, copy ... to a file). Tables and changes belong in the dbt project.\n"
                f"  ({error})",
                file=sys.stderr,
            )
            return 1
        except duckdb.Error as error:
            print(f"dealledger: {error}", file=sys.stderr)
            return 1
        if relation is not None:
            relation.show(max_rows=1000, max_width=200)
    return 0


def run_docs(settings: Settings) -> int:
    """The dbt docs site as one offline file (`--static` inlines manifest and catalog) from the build database."""
    build_db = settings.home / "build.duckdb"
    if not build_db.exists():
        print(f"dealledger: {build_db} does not exist yet; run `dealledger run` first", file=sys.stderr)
        return 1
    _prepare_environment(settings)
    docs_dir = settings.home / "docs"
    docs_dir.mkdir(exist_ok=True)
    project = str(settings.dbt_project_dir)
    with tempfile.TemporaryDirectory(dir=docs_dir) as target:
        generated = subprocess.run(
            [str(settings.dbt_executable), "docs", "generate", "--static", "--quiet"]
            + ["--project-dir", project, "--profiles-dir", project, "--target-path", target],
            check=False,
        )
        if generated.returncode != 0:
            print("dealledger: dbt docs generate failed (its messages are above)", file=sys.stderr)
            return 1
        os.replace(Path(target) / "static_index.html", docs_dir / "index.html")
    print(f"dealledger: dbt docs written to {docs_dir / 'index.html'} (open it in a browser, works offline)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dealledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="generate demo exports into the inbox, then run the pipeline")
    demo.add_argument("--scale", type=int, default=2000, help="number of deals (default 2000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    run = commands.add_parser("run", help="ingest every export in the inbox, build, check, publish")
    run.add_argument("--inbox", type=Path, help="inbox folder (default $DEALLEDGER_HOME/inbox)")
    commands.add_parser("rollback", help="restore the previously published serving file")
    sql = commands.add_parser("sql", help="query the serving file read-only (SQL from the argument or stdin)")
    sql.add_argument("query", nargs="?", help="SQL to run; read from stdin when omitted")
    commands.add_parser("docs", help="write the dbt docs site to $DEALLEDGER_HOME/docs/index.html")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if args.command == "demo":
        return run_demo(settings, args.scale, args.seed)
    if args.command == "rollback":
        return run_rollback(settings)
    if args.command == "sql":
        return run_sql(settings, args.query)
    if args.command == "docs":
        return run_docs(settings)
    if args.inbox is not None:
        settings = dataclasses.replace(settings, inbox_dir=args.inbox.resolve())
    return run_pipeline(settings)


def console_main() -> None:
    """The `dealledger` console script: `main`, then exit without tearing the interpreter down.

    Dagster, dbt and Great Expectations leave millions of objects behind; freeing them one by one at
    exit took 3 s of every run. By now every database is closed and only the standard streams buffer.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
