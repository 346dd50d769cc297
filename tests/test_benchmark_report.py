"""The benchmark's report: a run replaces the tables of the scales it measured and keeps the others."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from benchmarks import readers
from benchmarks.report import END_MARKER, START_MARKER, STEPS, write_results
from benchmarks.run import joined_to_earlier_baseline, recorded_settings

MIB = 1024 * 1024
MACHINE = {"cores": 2, "memory_gib": 23.5, "cpu": "AMD EPYC", "python": "3.11.7"}
EARLIER_SECTION = f"""{START_MARKER}

Machine and commands of the earlier tables, written by hand.

### 100,000 deals (3,116,585 raw rows in 4 steps)

the 100k table

### 1,000,000 deals (31,156,123 raw rows in 4 steps)

the 1M table

{END_MARKER}"""


def pipeline_only_result(scale: int, seconds: float) -> dict:
    steps = {"ingest": seconds / 2, "dbt build": seconds / 4, "checks": seconds / 8, "publish": seconds / 16}
    return {
        "scale": scale,
        "rows": 311_625_127,
        "generation_seconds": 1111.0,
        "load_before": [0.98, 0.62, 0.36],
        "load_after": [1.5, 1.4, 1.3],
        "pipeline": {
            "seconds": seconds,
            "exit_code": 0,
            "failed_steps": [],
            "not_run_steps": [],
            "startup_seconds": 6.0,
            "between_steps_seconds": seconds / 16 - 6.0,
            "step_seconds": steps,
            "step_peak_bytes": {step: 1000 * MIB for step in steps},
            "peak_bytes": 3900 * MIB,
            "rows": 311_625_127,
        },
    }


def results(*scales: dict) -> dict:
    return {"machine": MACHINE, "command": "python -m benchmarks.run --scales 10000000", "scales": list(scales)}


def test_a_new_scale_joins_the_tables_of_earlier_runs(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text(f"# Benchmarks\n\n{EARLIER_SECTION}\n\n## Notes\n")
    write_results(report, results(pipeline_only_result(10_000_000, 6400.0)))
    text = report.read_text()
    assert text.startswith(f"# Benchmarks\n\n{EARLIER_SECTION.split('### 1,000,000')[0]}")
    assert "### 1,000,000 deals (31,156,123 raw rows in 4 steps)\n\nthe 1M table\n\n### 10,000,000 deals" in text
    assert text.endswith(f"{END_MARKER}\n\n## Notes\n")
    ten_million = text.split("### 10,000,000 deals")[1]
    assert "Machine: 2 cores, 23.5 GiB memory, CPU AMD EPYC, Python 3.11.7. Command: " in ten_million
    assert "| **total** | **6400.0** | **-** | **-** | **3,900** | **-** | 48,691 | - |" in ten_million
    assert "Baseline not run at this scale (`--without-baseline`)" in ten_million


def test_a_scale_measured_again_replaces_its_table_only(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text(EARLIER_SECTION + "\n")
    write_results(report, results(pipeline_only_result(10_000_000, 6400.0)))
    write_results(report, results(pipeline_only_result(10_000_000, 3200.0)))
    text = report.read_text()
    assert text.count("### 10,000,000 deals") == 1
    assert "**3200.0**" in text and "**6400.0**" not in text
    assert "the 100k table" in text and "the 1M table" in text


def test_a_report_without_results_gets_the_section_appended(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n")
    write_results(report, results(pipeline_only_result(10_000_000, 6400.0)))
    text = report.read_text()
    assert text.startswith(f"# Benchmarks\n\n{START_MARKER}\n\n### 10,000,000 deals")
    assert text.endswith(f"{END_MARKER}\n")


def test_the_command_names_the_settings_it_ran_with(tmp_path):
    report = tmp_path / "benchmarks.md"
    earlier = dict(
        pipeline_only_result(10_000_000, 6400.0),
        pipeline_command="python -m benchmarks.run --scales 10000000 --without-baseline 10000000",
        pipeline_environment={"DEALLEDGER_DBT_THREADS": "1"},
        baseline_load_before=[0.5, 0.4, 0.3],
        baseline_load_after=[1.9, 1.8, 1.7],
    )
    run = dict(results(earlier), environment={"DEALLEDGER_DUCKDB_MEMORY_LIMIT": "2GB"})
    write_results(report, run)
    text = report.read_text()
    assert (
        "Command: `DEALLEDGER_DUCKDB_MEMORY_LIMIT=2GB .venv/bin/python -m benchmarks.run --scales 10000000`."
    ) in text
    assert (
        "Two invocations: the pipeline by `DEALLEDGER_DBT_THREADS=1 .venv/bin/python -m benchmarks.run "
        "--scales 10000000 --without-baseline 10000000`, then the baseline (load average before: 0.50, 0.40, 0.30;"
    ) in text


def test_an_invocation_records_its_dealledger_settings_but_not_the_salt():
    environ = {"DEALLEDGER_DBT_THREADS": "1", "DEALLEDGER_PII_SALT": "secret", "HOME": "/root", "DEALLEDGER_HOME": "/h"}
    assert recorded_settings(environ) == {"DEALLEDGER_DBT_THREADS": "1", "DEALLEDGER_HOME": "/h"}


def test_the_peak_is_judged_against_4_gb_and_split_by_process(tmp_path):
    report = tmp_path / "benchmarks.md"
    result = pipeline_only_result(10_000_000, 6400.0)
    result["pipeline"]["step_peak_bytes_by_role"] = {
        "ingest": {"main": 1000 * MIB},
        "dbt build": {"main": 300 * MIB, "dbt": 2500 * MIB, "check worker": 440 * MIB},
        "checks": {},  # a step without a sample (shorter than the sampling interval)
        "publish": {"main": 900 * MIB, "other": 20 * MIB},
    }
    write_results(report, results(result))
    assert (
        "Peak memory under 4,096 MiB: met (3,900 MiB). At each step's peak, by process (MiB): ingest main 1,000; "
        "dbt build check worker 440 + dbt 2,500 + main 300; publish main 900 + other 20."
    ) in report.read_text()

    result["pipeline"]["peak_bytes"] = 4096 * MIB
    write_results(report, results(result))
    assert "Peak memory under 4,096 MiB: NOT met (4,096 MiB)." in report.read_text()


def earlier_baseline_results(differences: dict[str, int]) -> dict:
    measured = dict(
        pipeline_only_result(10_000_000, 4000.0),
        pipeline_mart_fingerprints={"fct_deals": "10:77", "fct_invoices": "5:12"},
        baseline={"seconds": 2800.0, "step_seconds": {}, "step_peak_bytes": {}},
        baseline_load_before=[3.2, 3.3, 3.9],
        baseline_load_after=[1.9, 2.0, 2.1],
        marts_differences_vs_baseline=differences,
    )
    return {"command": "python -m benchmarks.run --scales 10000000 --baseline-only 10000000", "scales": [measured]}


def test_a_pipeline_joins_an_earlier_baseline_and_is_compared_with_its_marts():
    pipeline = dict(
        pipeline_only_result(10_000_000, 3900.0),
        pipeline_mart_fingerprints={"fct_deals": "10:77", "fct_invoices": "5:13"},
    )
    source = earlier_baseline_results({"fct_deals": 0, "fct_invoices": 0})
    source["environment"] = {"DEALLEDGER_DBT_THREADS": "1"}

    joined = joined_to_earlier_baseline(pipeline, source)

    assert joined["pipeline"] == pipeline["pipeline"]
    assert joined["baseline"]["seconds"] == 2800.0
    assert joined["marts_fingerprints_differing_from_baseline"] == ["fct_invoices"]
    assert (joined["baseline_command"], joined["baseline_environment"]) == (
        source["command"],
        {"DEALLEDGER_DBT_THREADS": "1"},
    )


def test_a_baseline_whose_marts_differed_from_its_pipeline_is_not_joined():
    pipeline = dict(pipeline_only_result(10_000_000, 3900.0), pipeline_mart_fingerprints={})
    with pytest.raises(RuntimeError, match="10000000 deals: that baseline's marts differed from its pipeline's"):
        joined_to_earlier_baseline(pipeline, earlier_baseline_results({"fct_deals": 2, "fct_invoices": 0}))
    with pytest.raises(RuntimeError, match="no baseline with mart fingerprints"):
        joined_to_earlier_baseline(dict(pipeline, scale=1_000_000), earlier_baseline_results({}))


def test_the_report_names_the_invocation_whose_baseline_was_joined(tmp_path):
    report = tmp_path / "benchmarks.md"
    joined = dict(
        pipeline_only_result(10_000_000, 3900.0),
        pipeline_command="python -m benchmarks.run --scales 10000000 --without-baseline 10000000",
        baseline={"seconds": 2800.0, "startup_seconds": 0.3, "between_steps_seconds": 1.8, "peak_bytes": 3945 * MIB}
        | {"step_seconds": {step: 600.0 for step in STEPS}, "step_peak_bytes": {step: MIB for step in STEPS}},
        baseline_load_before=[3.2, 3.3, 3.9],
        baseline_load_after=[1.9, 2.0, 2.1],
        baseline_command="python -m benchmarks.run --scales 10000000 --baseline-only 10000000",
        baseline_environment={"DEALLEDGER_DBT_THREADS": "1"},
        marts_fingerprints_differing_from_baseline=[],
    )
    write_results(report, results(joined))
    assert (
        "Two invocations: the pipeline by `.venv/bin/python -m benchmarks.run --scales 10000000 --without-baseline "
        "10000000`, the baseline earlier, by `DEALLEDGER_DBT_THREADS=1 .venv/bin/python -m benchmarks.run --scales "
        "10000000 --baseline-only 10000000`, its results joined (load average before: 3.20, 3.30, 3.90;"
    ) in report.read_text()
    assert "| **total** | **3900.0** | **2800.0** | **1.39** |" in report.read_text()


def test_the_readers_benchmark_reports_each_side_and_the_ratio():
    sides = {"ingest": {"seconds": 2.0, "peak_mib": 1500.0}, "baseline": {"seconds": 0.5, "peak_mib": 500.0}}
    assert readers.report("json", 1000, sides).splitlines() == [
        "json, 1,000 rows",
        "| side | wall s | peak MiB | rows/s |",
        "| --- | ---: | ---: | ---: |",
        "| ingest | 2.00 | 1,500 | 500 |",
        "| baseline | 0.50 | 500 | 2,000 |",
        "ratio ingest / baseline: time 4.00 x, peak memory 3.00 x",
    ]


def _exact_totals(file_format: str, export: Path) -> tuple:
    """(rows, distinct ids, won deals / net amount) of a generated export, read back by another reader."""
    if file_format == "json":
        records = json.loads(export.read_text(encoding="utf-8"))["records"]
        return len(records), len({r["attributes"]["referenceId"] for r in records}), sum(r["IsWon"] for r in records)
    if file_format.startswith("ubl"):
        cac = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
        cbc = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
        ids, amounts = [], []
        for document in sorted(export.iterdir()) if export.is_dir() else [export]:
            root = ET.parse(document).getroot()
            for line in root.iter(f"{cac}InvoiceLine"):
                ids.append((root.findtext(f"{cbc}ID"), line.findtext(f"{cbc}ID")))
                amounts.append(Decimal(line.findtext(f"{cbc}LineExtensionAmount")))
        return len(ids), len(set(ids)), sum(amounts)
    rows = list(openpyxl.load_workbook(export, read_only=True).active.iter_rows(min_row=2, values_only=True))
    return len(rows), len({row[0] for row in rows}), sum(Decimal(str(row[9])) for row in rows)


TOTALS_QUERIES = {
    "json": "select count(*), count(distinct id), count(*) filter (where is_won) from raw_salesforce.opportunities",
    "xlsx": "select count(*), count(distinct invoice_id), sum(net_amount) from raw_billing.invoices",
    "ubl": "select count(*), count(distinct line_id), sum(line_extension_amount) from raw_ubl.invoice_lines",
    "ubl_documents": "select count(*), count(distinct (document_id, line_id)), sum(line_extension_amount) "
    "from raw_ubl.invoice_lines",
}


@pytest.mark.parametrize("file_format", sorted(readers.EXPORTS))
def test_the_readers_benchmark_loads_every_row_of_its_generated_exports(tmp_path, file_format):
    sides = readers.measure(file_format, 200, tmp_path)
    assert all(side["seconds"] > 0 and side["peak_mib"] > 0 for side in sides.values())
    folder = tmp_path / file_format / "200"
    expected = _exact_totals(file_format, folder / readers.EXPORTS[file_format][0])
    assert expected[:2] == (200, 200)
    with duckdb.connect(str(folder / "ingest" / "ingest.duckdb"), read_only=True) as con:
        assert con.execute(TOTALS_QUERIES[file_format]).fetchone() == expected
    with duckdb.connect(str(folder / "baseline" / "baseline.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from export").fetchone() == (200,)
