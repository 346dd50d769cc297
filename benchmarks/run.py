"""Benchmark the whole pipeline against hand-written DuckDB SQL at several scales, in one run.

    .venv/bin/python -m benchmarks.run --scales 100000,1000000,10000000

Per scale: demo exports generated once (kept in the work folder for later runs), then (a) the dealledger
job (ingest, dbt build, Great Expectations checks, publish) and (b) the baseline (benchmarks/baseline.py),
each as its own process whose process tree's RSS is sampled. At the scales in --incremental-scales also:
a full build without the newest CRM day, then that day's export processed incrementally, its marts
compared with (a)'s. The table goes between the markers in docs/benchmarks.md; raw numbers to
<work>/results.json. A scale too long for one sitting runs in two invocations: `--without-baseline N`, then
`--scales N --baseline-only N` (with `--earlier-results` if the first one's work folder is gone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from benchmarks.memory import Measured, run_measured
from benchmarks.report import write_results
from dealledger.settings import REPO_ROOT

STEP_KINDS = ("ingest", "dbt build", "checks", "publish")


@dataclass(frozen=True)
class Run:
    """A measured pipeline or baseline process and the step windows it reported."""

    measured: Measured
    launched: float
    timings: dict

    @property
    def failed(self) -> bool:
        return self.measured.exit_code != 0

    def summary(self, rows: int) -> dict:
        steps = {kind: 0.0 for kind in STEP_KINDS}
        peaks_by_role: dict[str, dict[str, int]] = {kind: {} for kind in STEP_KINDS}
        failed_steps = [step["kind"] for step in self.timings["steps"] if step.get("outcome") == "STEP_FAILURE"]
        ran = set()
        for step in self.timings["steps"]:
            if "start" not in step or "end" not in step:
                continue
            ran.add(step["kind"])
            steps[step["kind"]] += step["end"] - step["start"]
            by_role = self.measured.peak_by_role_between(step["start"], step["end"])
            if sum(by_role.values()) > sum(peaks_by_role[step["kind"]].values()):
                peaks_by_role[step["kind"]] = by_role
        startup = self.timings["job_started"] - self.launched
        overhead = self.measured.seconds - startup - sum(steps.values())
        return {
            "seconds": self.measured.seconds,
            "exit_code": self.measured.exit_code,
            "failed_steps": failed_steps,
            "not_run_steps": [kind for kind in STEP_KINDS if kind not in ran and kind not in failed_steps],
            "startup_seconds": startup,
            "between_steps_seconds": overhead,
            "step_seconds": steps,
            "step_peak_bytes": {kind: sum(by_role.values()) for kind, by_role in peaks_by_role.items()},
            # Which processes held the step's peak: the measured process, dbt, the check workers.
            "step_peak_bytes_by_role": peaks_by_role,
            "peak_bytes": self.measured.peak_bytes,
            "rows": rows,
        }


def _environment(**variables: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "orchestration"), str(REPO_ROOT)])
    env.pop("DEALLEDGER_BUILD_DB", None)
    env.update(variables)
    return env


def _measure(command: list[str], env: dict[str, str], folder: Path, name: str, failure_is_a_result: bool) -> Run:
    """The measured run; with `failure_is_a_result`, a failed run that reported its steps is returned (its
    times and memory up to the failure), else a failure stops the benchmark."""
    timings_path = folder / f"{name}.timings.json"
    timings_path.unlink(missing_ok=True)
    launched = time.time()
    measured = run_measured(command, env, folder / f"{name}.log")
    if not timings_path.exists() or (measured.exit_code != 0 and not failure_is_a_result):
        raise RuntimeError(f"{name} failed (exit {measured.exit_code}); see {folder / (name + '.log')}")
    return Run(measured, launched, json.loads(timings_path.read_text()))


# The newest CRM day is a changes export (only the records changed since the day before, as a CRM's
# "modified since" export): the daily delivery the incremental run measures.
GENERATOR_OPTIONS = {"changes_exports": 1}


def generate(data_dir: Path, scale: int, seed: int) -> dict:
    """The demo exports of `scale` deals, generated once per folder (again when GENERATOR_OPTIONS changed);
    returns the generator's summary."""
    done = data_dir / "generated.json"
    if not done.exists() or json.loads(done.read_text()).get("options") != GENERATOR_OPTIONS:
        shutil.rmtree(data_dir, ignore_errors=True)
        code = (
            "import sys, json, time; from pathlib import Path; from dealledger.demo.generator import generate_demo; "
            "d, options = Path(sys.argv[1]), json.loads(sys.argv[4]); t = time.time(); "
            "generate_demo(d / 'inbox', d / 'demo_truth', deals=int(sys.argv[2]), seed=int(sys.argv[3]), **options); "
            "(d / 'generated.json').write_text(json.dumps({'seconds': time.time() - t, 'options': options}))"
        )
        data_dir.mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-c", code, str(data_dir), str(scale), str(seed), json.dumps(GENERATOR_OPTIONS)],
            env=_environment(DEALLEDGER_HOME=str(data_dir / "home")),
            check=True,
        )
    summary = json.loads((data_dir / "demo_truth" / "summary.json").read_text())
    summary["generation_seconds"] = json.loads(done.read_text())["seconds"]
    return summary


def _dbt(subcommand: str, env: dict[str, str], *options: str) -> None:
    project = str(REPO_ROOT / "dbt_project")
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run(
        [dbt, subcommand, "--quiet", "--project-dir", project, "--profiles-dir", project, *options], env=env, check=True
    )


def compile_project(work_dir: Path) -> None:
    """The compiled SQL the baseline runs, from an empty database (so every model compiles as a full build)."""
    folder = work_dir / "compile"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = _environment(DEALLEDGER_BUILD_DB=str(folder / "build.duckdb"), DEALLEDGER_HOME=str(folder))
    _dbt("compile", env, "--target-path", str(folder / "target"))


def run_pipeline(home: Path, inbox: Path, name: str, failure_is_a_result: bool = False) -> Run:
    home.mkdir(parents=True, exist_ok=True)
    env = _environment(DEALLEDGER_HOME=str(home), DEALLEDGER_INBOX=str(inbox))
    # The deployment step for a home (`make manifest`), untimed as the baseline's compile is: the saved parse
    # state of another home's profile makes dbt parse the whole project again (4-16 s), once per home.
    _dbt("parse", env)
    command = [sys.executable, "-m", "benchmarks.pipeline_child", str(home / f"{name}.timings.json")]
    return _measure(command, env, home, name, failure_is_a_result)


def run_baseline(inbox: Path, work_dir: Path, scale_dir: Path) -> Run:
    folder = scale_dir / "baseline"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = work_dir / "compile" / "target" / "manifest.json"
    timings = folder / "baseline.timings.json"
    command = [sys.executable, "-m", "benchmarks.baseline", str(inbox), str(manifest), str(folder), str(timings)]
    return _measure(command, _environment(DEALLEDGER_HOME=str(folder)), folder, "baseline", failure_is_a_result=False)


def _mart_selects(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, str]:
    """Per mart of the attached serving file: the select list compared (load ids and publication left out)."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_name <> 'dealledger_publication' order by 1",
        [catalog],
    ).fetchall()
    selects = {}
    for (table,) in tables:
        columns = con.execute(
            "select column_name from information_schema.columns where table_catalog = ? and table_name = ? "
            "and column_name not like '%load_id%' order by ordinal_position",
            [catalog, table],
        ).fetchall()
        selects[table] = ", ".join(f'"{name}"' for (name,) in columns)
    return selects


def marts_differences(first: Path, second: Path) -> dict[str, int]:
    """Per mart: rows of either file without an equal row in the other."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        for table, select in _mart_selects(con, "a").items():
            a, b = f"a.main.{table}", f"b.main.{table}"
            differences[table] = con.execute(
                f"select (select count(*) from (select {select} from {a} except all select {select} from {b})) "
                f"+ (select count(*) from (select {select} from {b} except all select {select} from {a}))"
            ).fetchone()[0]
    return differences


def mart_fingerprints(serving: Path) -> dict[str, str]:
    """Per mart: row count and the sum of its rows' hashes, equal for equal multisets of rows whatever their
    order; compares the marts of runs whose serving files are not both at hand (another sitting)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{serving}' as s (read_only)")
        return {
            table: "{}:{}".format(
                *con.execute(f"select count(*), sum(hash({select})::hugeint) from s.main.{table}").fetchone()
            )
            for table, select in _mart_selects(con, "s").items()
        }


def _link_all(files: list[Path], inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = inbox / path.name
        if not target.exists():
            os.link(path, target)


def incremental(scale_dir: Path, inbox: Path, summary: dict, full_serving: Path) -> dict:
    """A full build without the newest CRM day, then that day incrementally; marts compared with the full run."""
    newest = summary["crm_export_dates"][-1].replace("-", "")
    files = sorted(inbox.iterdir())
    last_day = [path for path in files if path.name.startswith("crm_") and newest in path.name]
    home = scale_dir / "incremental"
    shutil.rmtree(home, ignore_errors=True)
    _link_all([path for path in files if path not in last_day], home / "inbox")
    before = run_pipeline(home, home / "inbox", "before_newest_day")
    _link_all(last_day, home / "inbox")
    newest_day = run_pipeline(home, home / "inbox", "newest_day")
    rows = sum(summary["files"][path.name] for path in last_day)
    return {
        "before_newest_day": before.summary(sum(summary["row_counts"].values()) - rows),
        "newest_day": newest_day.summary(rows),
        "deals_changed_in_export_window": summary["deals_changed_in_export_window"],
        "crm_export_days": len(summary["crm_export_dates"]),
        "newest_day_scope": "changes" if summary.get("crm_changes_export_dates") else "full",
        "marts_differences": marts_differences(home / "serving.duckdb", full_serving),
    }


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def benchmark_scale(work_dir: Path, scale: int, seed: int, incremental_scales: set[int], with_baseline: bool) -> dict:
    data_dir = work_dir / "data" / str(scale)
    summary = generate(data_dir, scale, seed)
    inbox = data_dir / "inbox"
    rows = sum(summary["row_counts"].values())
    scale_dir = work_dir / str(scale)
    shutil.rmtree(scale_dir / "pipeline", ignore_errors=True)
    result: dict = {"scale": scale, "rows": rows, "generation_seconds": summary["generation_seconds"]}
    result["load_before"] = os.getloadavg()
    # A scale the pipeline cannot finish (out of memory or disk at 10M, say) is reported as such.
    pipeline = run_pipeline(scale_dir / "pipeline", inbox, "pipeline", failure_is_a_result=True)
    result["pipeline"] = pipeline.summary(rows)
    if pipeline.failed:  # no marts to compare: the baseline and the incremental run would tell nothing more
        result["pipeline_log"] = str(scale_dir / "pipeline" / "pipeline.log")
    elif with_baseline:
        _add_baseline(result, work_dir, scale_dir, inbox)
    else:  # for a baseline of a later invocation (--baseline-only), which may not find this serving file
        result["pipeline_mart_fingerprints"] = mart_fingerprints(scale_dir / "pipeline" / "serving.duckdb")
    result["load_after"] = os.getloadavg()
    if scale in incremental_scales and not pipeline.failed:
        result["incremental"] = incremental(scale_dir, inbox, summary, scale_dir / "pipeline" / "serving.duckdb")
        result["load_after_incremental"] = os.getloadavg()
    return result


def _differing_marts(fingerprints: dict[str, str], other: dict[str, str]) -> list[str]:
    """The marts whose fingerprints (mart_fingerprints) differ between two runs, or that only one has."""
    return sorted(mart for mart in fingerprints.keys() | other.keys() if fingerprints.get(mart) != other.get(mart))


def _add_baseline(result: dict, work_dir: Path, scale_dir: Path, inbox: Path) -> None:
    result["baseline"] = run_baseline(inbox, work_dir, scale_dir).summary(result["rows"])
    pipeline_serving = scale_dir / "pipeline" / "serving.duckdb"
    baseline_serving = scale_dir / "baseline" / "serving.duckdb"
    if pipeline_serving.exists():
        result["marts_differences_vs_baseline"] = marts_differences(pipeline_serving, baseline_serving)
    else:  # the pipeline ran in another sitting: its marts are known by their fingerprints
        baseline_fingerprints = mart_fingerprints(baseline_serving)
        result["marts_fingerprints_differing_from_baseline"] = _differing_marts(
            result["pipeline_mart_fingerprints"], baseline_fingerprints
        )


def baseline_after_earlier_pipeline(work_dir: Path, scale: int, seed: int, earlier: dict) -> dict:
    """The baseline of a scale whose pipeline ran in an earlier invocation, joined to that run's result: for a
    scale whose two runs do not fit in one sitting (10M deals take hours)."""
    if earlier.get("baseline") or earlier["pipeline"]["exit_code"] != 0:
        raise RuntimeError(f"{scale} deals: the earlier run has a baseline already or its pipeline failed")
    data_dir = work_dir / "data" / str(scale)
    generate(data_dir, scale, seed)  # the same seed gives the same exports, should they be gone
    result = dict(earlier, baseline_load_before=os.getloadavg())
    _add_baseline(result, work_dir, work_dir / str(scale), data_dir / "inbox")
    result["baseline_load_after"] = os.getloadavg()
    return result


def joined_to_earlier_baseline(earlier: dict, baseline_results: dict) -> dict:
    """A scale's pipeline result (`--without-baseline`) joined to the baseline of the same scale from the
    results of another invocation (`--baseline-from`), which is not run again: for a change outside the
    baseline's SQL at a scale whose baseline takes most of an hour. Marts are compared by fingerprints with
    those of that invocation's pipeline, which must have been identical to its baseline's."""
    scale = earlier["scale"]
    source = next((result for result in baseline_results["scales"] if result["scale"] == scale), None)
    if source is None or "baseline" not in source or "pipeline_mart_fingerprints" not in source:
        raise RuntimeError(f"{scale} deals: no baseline with mart fingerprints in the results of --baseline-from")
    if source.get("marts_fingerprints_differing_from_baseline") or any(
        source.get("marts_differences_vs_baseline", {}).values()
    ):
        raise RuntimeError(f"{scale} deals: that baseline's marts differed from its pipeline's; not joined")
    return dict(
        earlier,
        baseline=source["baseline"],
        baseline_load_before=source["baseline_load_before"],
        baseline_load_after=source["baseline_load_after"],
        baseline_command=baseline_results["command"],
        baseline_environment=baseline_results.get("environment", {}),
        marts_fingerprints_differing_from_baseline=_differing_marts(
            earlier["pipeline_mart_fingerprints"], source["pipeline_mart_fingerprints"]
        ),
    )


def recorded_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings a repeat needs besides the arguments (DEALLEDGER_DBT_THREADS=1 at 10M deals, say); not
    the PII salt, a secret that changes no timing."""
    return {
        name: value
        for name, value in sorted(environ.items())
        if name.startswith("DEALLEDGER_") and name != "DEALLEDGER_PII_SALT"
    }


def _scales(option: str) -> list[int]:
    return [int(scale) for scale in option.split(",") if scale]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100000,1000000,10000000", help="deal counts, comma-separated")
    parser.add_argument("--incremental-scales", default="1000000", help="scales that also get the incremental run")
    parser.add_argument(
        "--without-baseline",
        default="",
        help="scales that run the pipeline alone, for its times and memory where the baseline would not fit "
        "in the time at hand (no ratios)",
    )
    parser.add_argument(
        "--baseline-only",
        default="",
        help="scales whose pipeline ran in an earlier invocation (--without-baseline): only their baseline "
        "runs now, its results joined to the earlier ones (--earlier-results)",
    )
    parser.add_argument(
        "--earlier-results",
        type=Path,
        help="the results.json of that earlier invocation (default: the work folder's; a copy of it when the "
        "work folder is gone, as /tmp is between sittings)",
    )
    parser.add_argument(
        "--baseline-from",
        type=Path,
        help="with --baseline-only: the baseline is not run but taken from these results (an invocation whose "
        "baseline ran with the same SQL and exports)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/dealledger-bench"))
    parser.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    scales = _scales(args.scales)
    incremental_scales = set(_scales(args.incremental_scales))
    without_baseline = set(_scales(args.without_baseline))
    baseline_only = set(_scales(args.baseline_only))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    compile_project(args.work_dir)
    results_path = args.work_dir / "results.json"
    earlier: dict[int, dict] = {}
    baseline_results = json.loads(args.baseline_from.read_text()) if args.baseline_from else None
    if baseline_only:
        earlier_results = json.loads((args.earlier_results or results_path).read_text())
        for result in earlier_results["scales"]:
            earlier[result["scale"]] = dict(
                result,
                pipeline_command=earlier_results["command"],
                pipeline_environment=earlier_results.get("environment", {}),
            )
    results = {
        "machine": machine(),
        "command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
        "environment": recorded_settings(os.environ),
        "scales": [],
    }
    for scale in scales:
        print(f"benchmark: {scale} deals", file=sys.stderr)
        if scale not in baseline_only:
            result = benchmark_scale(args.work_dir, scale, args.seed, incremental_scales, scale not in without_baseline)
        elif baseline_results:
            result = joined_to_earlier_baseline(earlier[scale], baseline_results)
        else:
            result = baseline_after_earlier_pipeline(args.work_dir, scale, args.seed, earlier[scale])
        results["scales"].append(result)
        results_path.write_text(json.dumps(results, indent=1))
        write_results(args.report, results)
    print(f"benchmark: results in {results_path} and {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
