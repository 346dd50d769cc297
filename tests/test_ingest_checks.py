"""The ingest asset's checks, through a real Dagster materialization of the raw table they guard."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, materialize

from dealledger.assets.ingest import build_ingest_assets
from dealledger.resources import Warehouse

STAGE_HISTORY = AssetKey(["crm", "deal_stage_history"])
# Two of three rows have an amount that does not parse: far above the 1% threshold.
BAD_EXPORT = (
    "deal_id,stage,amount,changed_at\n"
    "D1,Lead,10.00,2024-01-02 09:00:00\n"
    "D2,Lead,ten,2024-01-02 09:00:00\n"
    "D3,Lead,1O,2024-01-02 09:00:00\n"
)


def ingest_checks(home: Path) -> dict[str, tuple[bool, str | None]]:
    warehouse = Warehouse(
        home=str(home), inbox=str(home / "inbox"), max_reject_rate=0.01, max_export_age_days={"crm": 2}
    )
    result = materialize(
        [build_ingest_assets()], selection=[STAGE_HISTORY], resources={"warehouse": warehouse}, raise_on_error=False
    )
    return {
        evaluation.check_name: (evaluation.passed, evaluation.description)
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key == STAGE_HISTORY
    }


def test_a_file_over_the_reject_threshold_blocks_every_run_until_it_leaves_the_inbox(tmp_path):
    bad = tmp_path / "inbox" / "crm_deal_stage_history_20240102.csv"
    bad.parent.mkdir()
    bad.write_text(BAD_EXPORT)

    first = ingest_checks(tmp_path)
    assert first["rows_accounted_for"] == (True, None)
    # The export is from 2024: far older than the two days a CRM export may be (a warning in the UI).
    assert first["export_is_fresh"] == (
        False,
        "The newest crm_deal_stage_history export is from 2024-01-02; a new one is expected at least every 2 days.",
    )
    passed, description = first["reject_rate_within_threshold"]
    assert not passed
    assert description.startswith("crm_deal_stage_history_20240102.csv: 2 of 3 rows rejected. First bad lines: line 3")

    # The second run skips the file (same content) but still refuses to let its rows through.
    assert ingest_checks(tmp_path)["reject_rate_within_threshold"] == (False, description)

    bad.unlink()
    assert ingest_checks(tmp_path)["reject_rate_within_threshold"][0]
