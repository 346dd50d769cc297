"""Reading a JSON records export: dealledger's ingest of one file against DuckDB's own `read_json`.

    python -m benchmarks.json_records --records 100000,1000000

Generates a Salesforce CLI data-tree export of opportunities (`{"records": [...]}`, ten fields, one nested
object) per size, then runs each side in a process of its own and samples its memory: the ingest loads the
file into a new build database (`load_export_file`: fields, rendering, typing, rejects, lineage); the
baseline is DuckDB reading the same file into a table with its JSON reader, nothing checked. Prints wall
time, peak memory and records per second, and the ingest's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.memory import run_measured
from benchmarks.run import _environment

STAGES = ("Prospecting", "Qualification", "Proposal", "Closed Won", "Closed Lost")


def write_export(path: Path, records: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    items = [
        {
            "attributes": {"type": "Opportunity", "referenceId": f"OpportunityRef{number}"},
            "Name": f"Deal {number}",
            "StageName": rng.choice(STAGES),
            "Amount": round(rng.uniform(100, 100_000), 2),
            "CloseDate": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "IsWon": rng.random() < 0.3,
            "Probability": rng.choice((10, 25, 50, 90)),
            "FiscalYear": 2024,
            "Description": rng.choice(("renewal", "new logo", None)),
            "LeadSource": None,
        }
        for number in range(records)
    ]
    path.write_text(json.dumps({"totalSize": records, "done": True, "records": items}), encoding="utf-8")


def _child(side: str, export: Path, work_dir: Path) -> None:
    """One measured side, in its own process."""
    with duckdb.connect(str(work_dir / f"{side}.duckdb")) as con:
        if side == "baseline":
            size = export.stat().st_size + 1
            con.execute(
                f"create table opportunities as select unnest(records, recursive := true) "
                f"from read_json('{export}', maximum_object_size = {size})"
            )
            return
        from dealledger.ingest.layouts import LAYOUTS, layout_for_file
        from dealledger.ingest.loader import ensure_raw_tables, load_export_file

        ensure_raw_tables(con, LAYOUTS)
        layout, export_date = layout_for_file(export)
        result = load_export_file(con, export, layout, export_date, "benchmark", work_dir / "quarantine")
        if result.status != "loaded":
            raise SystemExit(f"{export.name}: {result.status}: {result.reason}")


def measure(records: int, work_dir: Path) -> dict[str, dict[str, float]]:
    folder = work_dir / str(records)
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "Opportunities_20240131.json"
    write_export(export, records)
    sides = {}
    for side in ("ingest", "baseline"):
        # The ingest moves a file it quarantines: each side reads its own copy.
        copy = folder / side / export.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(export.read_bytes())
        command = [sys.executable, "-m", "benchmarks.json_records", "--child", side, str(copy), str(copy.parent)]
        measured = run_measured(command, _environment(), folder / f"{side}.log")
        if measured.exit_code != 0:
            raise RuntimeError(f"{side} failed; see {folder / (side + '.log')}")
        sides[side] = {"seconds": measured.seconds, "peak_mib": measured.peak_bytes / 2**20}
    return sides


def report(records: int, sides: dict[str, dict[str, float]]) -> str:
    ingest, baseline = sides["ingest"], sides["baseline"]
    lines = [
        f"{records:,} records",
        "| side | wall s | peak MiB | records/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for side, result in sides.items():
        rate = records / result["seconds"]
        lines.append(f"| {side} | {result['seconds']:.2f} | {result['peak_mib']:,.0f} | {rate:,.0f} |")
    lines.append(
        f"ratio ingest / baseline: time {ingest['seconds'] / baseline['seconds']:.2f} x, "
        f"peak memory {ingest['peak_mib'] / baseline['peak_mib']:.2f} x"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.json_records", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", default="100000,1000000", help="record counts, comma-separated")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "EXPORT", "WORK_DIR"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        side, export, work_dir = options.child
        _child(side, Path(export), Path(work_dir))
        return 0
    with tempfile.TemporaryDirectory(prefix="dealledger-json-bench-") as scratch:
        work_dir = options.work_dir or Path(scratch)
        for records in (int(text) for text in options.records.split(",")):
            started = time.monotonic()
            print(report(records, measure(records, work_dir)), f"\n(measured in {time.monotonic() - started:.0f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
