"""The benchmark's results as Markdown, written between two markers of docs/benchmarks.md.

One table per scale, each naming the machine and the command it was measured with: a run replaces the
tables of the scales it measured and keeps the others (10M deals run in sittings of their own).
"""

from __future__ import annotations

import re
from pathlib import Path

START_MARKER = "<!-- benchmark results: written by python -m benchmarks.run -->"
END_MARKER = "<!-- end of benchmark results -->"
STEPS = ("ingest", "dbt build", "checks", "publish")
MIB = 1024 * 1024
MEMORY_TARGET_MIB = 4096  # "peak memory under 4 GB" (issue 6)
SCALE_HEADING = re.compile(r"^### ([0-9,]+) deals", re.MULTILINE)


# A scale run without its baseline (`--without-baseline`) has None for every baseline value: shown as "-".
def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:,.0f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _rate(rows: int, seconds: float | None) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "-"


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "-"


def _loads(load_average: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load_average)


def _command(command: str, environment: dict[str, str]) -> str:
    """The command as typed in the repository: its DEALLEDGER_* settings, then the venv's Python."""
    return "`" + " ".join([*(f"{name}={value}" for name, value in environment.items()), f".venv/bin/{command}"]) + "`"


def _scale_table(result: dict, machine: dict, command: str) -> list[str]:
    pipeline, rows = result["pipeline"], result["rows"]
    baseline = result.get("baseline")

    def b(key: str, step: str | None = None):
        if baseline is None:
            return None
        return baseline[key][step] if step else baseline[key]

    lines = [
        f"### {result['scale']:,} deals ({rows:,} raw rows in {len(STEPS)} steps)",
        "",
        f"Machine: {machine['cores']} cores, {machine['memory_gib']} GiB memory, CPU {machine['cpu']}, "
        f"Python {machine['python']}. Command: {command}.",
        "",
        f"Load average (1, 5, 15 min) before: {_loads(result['load_before'])}; "
        f"after: {_loads(result['load_after'])}. "
        f"Generating the exports took {result['generation_seconds']:.0f} s (not in the table).",
        "",
        "| step | (a) pipeline s | (b) baseline s | (a)/(b) | (a) peak MiB | (b) peak MiB | (a) rows/s | (b) rows/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| start-up (Python, Dagster, definitions) | {pipeline['startup_seconds']:.1f} | "
        f"{_seconds(b('startup_seconds'))} | | | | | |",
    ]
    for step in STEPS:
        a, b_step = pipeline["step_seconds"][step], b("step_seconds", step)
        lines.append(
            f"| {step} | {a:.1f} | {_seconds(b_step)} | {_ratio(a, b_step)} | "
            f"{_mib(pipeline['step_peak_bytes'][step])} | {_mib(b('step_peak_bytes', step))} | "
            f"{_rate(rows, a)} | {_rate(rows, b_step)} |"
        )
    lines.append(
        f"| between steps (Dagster events, asset checks) | {pipeline['between_steps_seconds']:.1f} | "
        f"{_seconds(b('between_steps_seconds'))} | | | | | |"
    )
    a, b_total = pipeline["seconds"], b("seconds")
    lines.append(
        f"| **total** | **{a:.1f}** | **{_seconds(b_total)}** | **{_ratio(a, b_total)}** | "
        f"**{_mib(pipeline['peak_bytes'])}** | **{_mib(b('peak_bytes'))}** | "
        f"{_rate(rows, a)} | {_rate(rows, b_total)} |"
    )
    lines += _memory_lines(pipeline)
    if "baseline_load_before" in result:
        pipeline_by = _command(result["pipeline_command"], result.get("pipeline_environment", {}))
        baseline_by = (
            f"the baseline earlier, by {_command(result['baseline_command'], result['baseline_environment'])}, "
            "its results joined"
            if "baseline_command" in result
            else "then the baseline"
        )
        lines += [
            "",
            f"Two invocations: the pipeline by {pipeline_by}, {baseline_by} "
            f"(load average before: {_loads(result['baseline_load_before'])}; "
            f"after: {_loads(result['baseline_load_after'])}).",
        ]
    startup = f"start-up under 10 s: {'met' if pipeline['startup_seconds'] < 10 else 'NOT met'}"
    if pipeline["exit_code"] != 0:
        lines += [
            "",
            f"The pipeline FAILED (exit {pipeline['exit_code']}) in {', '.join(pipeline['failed_steps']) or 'no step'}"
            f" (not run: {', '.join(pipeline['not_run_steps']) or 'none'}); the times and peaks above are up to"
            f" the failure, baseline and incremental runs skipped. Its log: `{result['pipeline_log']}`.",
        ]
    elif baseline is None:
        lines += [
            "",
            f"Baseline not run at this scale (`--without-baseline`): no ratios, marts not compared; {startup}.",
        ]
    else:
        target = 1.5 * b_total + pipeline["startup_seconds"]
        lines += [
            "",
            f"Target total <= 1.5 x baseline + start-up = {target:.1f} s: "
            f"{'met' if a <= target else 'NOT met'} ({a:.1f} s); {startup}. Marts of (a) and (b): "
            + _marts_compared(result),
        ]
    if "incremental" in result:
        lines += ["", *_incremental_lines(result["incremental"], pipeline["seconds"])]
    return lines


def _memory_lines(pipeline: dict) -> list[str]:
    """The pipeline's peak against the 4 GB target, and which processes held each step's peak."""
    peak = pipeline["peak_bytes"]
    verdict = "met" if peak < MEMORY_TARGET_MIB * MIB else "NOT met"
    lines = ["", f"Peak memory under {MEMORY_TARGET_MIB:,} MiB: {verdict} ({_mib(peak)} MiB)."]
    by_role = pipeline.get("step_peak_bytes_by_role")  # recorded since the benchmark sampled per process
    if by_role:
        parts = [
            f"{step} {' + '.join(f'{role} {_mib(held)}' for role, held in sorted(by_role[step].items()))}"
            for step in STEPS
            if by_role[step]
        ]
        lines[-1] += " At each step's peak, by process (MiB): " + "; ".join(parts) + "."
    return lines


def _marts_compared(result: dict) -> str:
    if "marts_differences_vs_baseline" in result:
        differing = {mart: n for mart, n in result["marts_differences_vs_baseline"].items() if n}
        return "identical row for row." if not differing else f"rows differ in {differing}."
    differing = result["marts_fingerprints_differing_from_baseline"]
    if differing:
        return f"the row fingerprints (count, sum of row hashes) differ in {', '.join(differing)}."
    return "identical (equal row count and sum of row hashes per mart, compared across the two invocations)."


def _incremental_lines(incremental: dict, full_seconds: float) -> list[str]:
    before, newest = incremental["before_newest_day"], incremental["newest_day"]
    differing = {mart: n for mart, n in incremental["marts_differences"].items() if n}
    lines = [
        f"Incremental: the newest CRM day, a {incremental.get('newest_day_scope', 'full')} export "
        f"({newest['rows']:,} rows; "
        f"{incremental['deals_changed_in_export_window']:,} deals changed over the "
        f"{incremental['crm_export_days'] - 1} newest days) on top of a build of the earlier days:",
        "",
        "| run | total s | ingest s | dbt build s | checks s | publish s | peak MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, run in (
        ("full build, all days (a)", None),
        ("full build without the newest day", before),
        ("newest day, incremental", newest),
    ):
        if run is None:
            lines.append(f"| {name} | {full_seconds:.1f} | | | | | |")
            continue
        steps = " | ".join(f"{run['step_seconds'][step]:.1f}" for step in STEPS)
        lines.append(f"| {name} | {run['seconds']:.1f} | {steps} | {_mib(run['peak_bytes'])} |")
    share = newest["seconds"] / full_seconds if full_seconds else 0
    lines += [
        "",
        f"Incremental / full: {share:.0%} (target at most 10%: {'met' if share <= 0.10 else 'NOT met'}). "
        "Marts after the incremental run and after the full build: "
        + ("identical row for row." if not differing else f"rows differ in {differing}."),
    ]
    return lines


def _tables_by_scale(section: str) -> tuple[str, dict[int, str]]:
    """The text before the first scale's table, and each scale's table (up to the next one)."""
    headings = list(SCALE_HEADING.finditer(section))
    if not headings:
        return section or "\n\n", {}
    ends = [heading.start() for heading in headings[1:]] + [len(section)]
    tables = {
        int(heading.group(1).replace(",", "")): section[heading.start() : end].rstrip()
        for heading, end in zip(headings, ends, strict=True)
    }
    return section[: headings[0].start()], tables


def write_results(report: Path, results: dict) -> None:
    """Put the tables of `results`' scales into the marked section of `report` (appended if missing), in
    place of earlier tables of the same scales; the other scales' tables and everything else stay."""
    text = report.read_text() if report.exists() else ""
    if START_MARKER in text and END_MARKER in text:
        head, rest = text.split(START_MARKER, 1)
        section, tail = rest.split(END_MARKER, 1)
    else:
        head, section, tail = text.rstrip("\n") + ("\n\n" if text else ""), "", "\n"
    preface, tables = _tables_by_scale(section)
    command = _command(results["command"], results.get("environment", {}))
    for result in results["scales"]:
        tables[result["scale"]] = "\n".join(_scale_table(result, results["machine"], command))
    body = "".join(tables[scale] + "\n\n" for scale in sorted(tables))
    report.write_text(head + START_MARKER + preface + body + END_MARKER + tail)
