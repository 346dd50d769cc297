"""The strict loader: every row read is loaded or in the rejects ledger with file, line and reason."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dealledger.ingest.layouts import LAYOUTS, LAYOUTS_BY_KIND, layout_for_file
from dealledger.ingest.loader import ensure_raw_tables, load_export_file

HISTORY = LAYOUTS_BY_KIND["crm_deal_stage_history"]
HEADER = "deal_id,stage,amount,changed_at\n"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        ensure_raw_tables(connection, LAYOUTS)
        yield connection


def write(folder: Path, text: str | bytes, name: str = "crm_deal_stage_history_20240105.csv") -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def load(con, path: Path, tmp_path: Path, load_id: str = "load-1"):
    return load_export_file(con, path, HISTORY, "2024-01-05", load_id, tmp_path / "quarantine")


def rejects(con) -> list[tuple]:
    return con.execute("select line, column_name, reason from raw_meta.rejects order by line, column_name").fetchall()


def test_file_name_declares_kind_and_export_date():
    layout, export_date = layout_for_file(Path("billing_invoice_lines_20261031.csv"))
    assert layout.kind == "billing_invoice_lines"
    assert export_date == "2026-10-31"
    assert layout_for_file(Path("notes_20261031.csv")) is None
    assert layout_for_file(Path("crm_deals.csv")) is None


def test_clean_file_loads_every_row_with_lineage(con, tmp_path):
    path = write(tmp_path, HEADER + "D1,Lead,100.00,2024-01-01 10:00:00\nD1,Qualified,120.50,2024-01-03 09:00:00\n")
    result = load(con, path, tmp_path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 2, 0)
    rows = con.execute(
        "select deal_id, amount, _source_file, _row_number, _load_id, _export_date::varchar "
        "from raw_crm.deal_stage_history order by _row_number"
    ).fetchall()
    assert [(row[0], str(row[1]), row[2], row[3], row[4], row[5]) for row in rows] == [
        ("D1", "100.00", path.name, 1, "load-1", "2024-01-05"),
        ("D1", "120.50", path.name, 2, "load-1", "2024-01-05"),
    ]


def test_bad_rows_are_rejected_with_line_column_and_reason(con, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "D1,Lead,100.00,2024-01-01 10:00:00\n"  # line 2: good
        + "D2,Lead\n"  # line 3: ragged, too few fields
        + "D3,Lead,12x,2024-01-01 10:00:00\n"  # line 4: amount does not parse
        + "D4,Lead,5,2024-13-45 00:00:00\n"  # line 5: impossible date
        + "D5,Lead,1,2024-01-01 10:00:00,extra\n"  # line 6: too many fields
        + "D6,Won,7,2024-01-03 00:00:00\n",  # line 7: good
    )
    result = load(con, path, tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 2, 4)
    assert [row[:2] for row in rejects(con)] == [
        (3, "amount, changed_at"),
        (4, "amount"),
        (5, "changed_at"),
        (6, ""),
    ]
    reasons = {line: reason for line, _, reason in rejects(con)}
    assert reasons[4] == "value '12x' does not parse as decimal(18,2)"
    assert "too many columns" in reasons[6]
    loaded = con.execute("select deal_id, _row_number from raw_crm.deal_stage_history order by 2").fetchall()
    assert loaded == [("D1", 1), ("D6", 6)]


def test_quoted_fields_with_delimiters_newlines_and_hostile_text_pass_unchanged(con, tmp_path):
    hostile = "Robert'); DROP TABLE deals;-- <script>alert(1)</script> \u202eRTL 🚀 zero\u200bwidth"
    path = write(tmp_path, HEADER + f'D1,"{hostile}, and ""quotes""\nsecond line",1.00,2024-01-01 10:00:00\n')
    assert load(con, path, tmp_path).rows_loaded == 1
    stage = con.execute("select stage from raw_crm.deal_stage_history").fetchone()[0]
    assert stage == f'{hostile}, and "quotes"\nsecond line'


def test_the_same_content_is_loaded_once(con, tmp_path):
    path = write(tmp_path, HEADER + "D1,Lead,100.00,2024-01-01 10:00:00\n")
    assert load(con, path, tmp_path).status == "loaded"
    copy = write(tmp_path, path.read_bytes(), name="crm_deal_stage_history_20240106.csv")
    assert load(con, copy, tmp_path, load_id="load-2").status == "skipped"
    assert con.execute("select count(*) from raw_crm.deal_stage_history").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        ("deal_id,stage,amount\nD1,Lead,1\n", "missing column(s) changed_at"),
        ("deal_id,stage,amount,changed_at,owner\n", "unexpected column(s) owner"),
        ("deal_id;stage;amount;changed_at\nD1;Lead;1;2024-01-01\n", "missing column(s) deal_id"),
        (bytes(range(256)) * 4, "header does not match"),
    ],
    ids=["empty", "missing-column", "new-column", "wrong-delimiter", "binary-garbage"],
)
def test_a_file_whose_header_drifted_is_quarantined_with_the_reason(con, tmp_path, content, message):
    path = write(tmp_path, content)
    result = load(con, path, tmp_path)
    assert result.status == "quarantined"
    assert message in result.reason
    assert path.name in result.reason
    assert not path.exists()
    assert (tmp_path / "quarantine" / path.name).exists()
    status = con.execute("select status, status_reason from raw_meta.loaded_files").fetchone()
    assert status == ("quarantined", result.reason)


def test_utf8_bom_is_not_part_of_the_first_column(con, tmp_path):
    path = write(tmp_path, "\ufeff".encode() + (HEADER + "D1,Lead,1.00,2024-01-01 10:00:00\n").encode())
    assert load(con, path, tmp_path).rows_loaded == 1
    assert con.execute("select deal_id from raw_crm.deal_stage_history").fetchone()[0] == "D1"
