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


# ------------------------------------------------------------------ layouts as data, detection, schema


def test_locale_parsed_columns_keep_their_raw_text(con, tmp_path):
    path = write(tmp_path, HEADER + "D1,Lead,100.5,2024-01-01 10:00:00\n")
    load(con, path, tmp_path)
    row = con.execute("select amount, amount__raw, changed_at__raw from raw_crm.deal_stage_history").fetchone()
    assert (str(row[0]), row[1], row[2]) == ("100.50", "100.5", "2024-01-01 10:00:00")


def test_a_mapping_with_an_error_is_refused_with_file_and_key(tmp_path):
    from dealledger.ingest.registry import registry_for
    from dealledger.ingest.spec import LayoutConfigError

    folder = tmp_path / "mappings"
    folder.mkdir()
    bad = {
        "unknown_table.yml": "source: crm\ntables:\n  opportunities:\n    files: [{glob: 'x*.csv'}]\n",
        "columns.yml": "source: crm\ntables:\n  deals:\n    columns: {deal_id: varchar}\n    files: []\n",
        "dialect.yml": "source: crm\ntables:\n  deals:\n    files: [{glob: 'x*.csv', dialect: {delimiter: ';;'}}]\n",
        "header.yml": "source: crm\ntables:\n  deals:\n    files: [{glob: 'x*.csv', headers: {nope: Nope}}]\n",
        "regex.yml": "source: crm\ntables:\n  deals:\n    files: [{regex: '(['}]\n",
        "scope.yml": "source: crm\ntables:\n  deals:\n    files: [{glob: 'x*.csv', scope: delta}]\n",
    }
    expected = {
        "unknown_table.yml": "raw_crm.opportunities does not exist",
        "columns.yml": "unknown key(s) columns",
        "dialect.yml": "delimiter: expected one character",
        "header.yml": "raw_crm.deals has no column 'nope'",
        "regex.yml": "invalid regular expression",
        "scope.yml": "scope: 'delta' is not one of full, changes",
    }
    for name, text in bad.items():
        for other in folder.iterdir():
            other.unlink()
        (folder / name).write_text(text, encoding="utf-8")
        with pytest.raises(LayoutConfigError) as error:
            registry_for(folder)
        assert name in str(error.value)
        assert expected[name] in str(error.value)


def test_a_user_mapping_reads_another_tools_export_into_a_generic_table(con, tmp_path):
    from dealledger.ingest.registry import registry_for

    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "pipedrive.yml").write_text(
        """
source: crm
tables:
  deal_stage_history:
    files:
      - glob: "pipedrive_stages_*.csv"
        header_match: case_insensitive
        dialect: {timestamp_formats: ["%d/%m/%Y %H:%M"]}
        headers: {deal_id: Deal ID, stage: Stage, amount: Value, changed_at: Changed}
""",
        encoding="utf-8",
    )
    registry = registry_for(tmp_path / "mappings")
    path = write(
        tmp_path, "DEAL ID,stage,value,changed\n7,Won,10,31/01/2024 09:15\n", "pipedrive_stages_2024-01-31.csv"
    )
    layout, export_date = layout_for_file(path, registry)
    assert (layout.kind, export_date) == ("crm_deal_stage_history", "2024-01-31")
    result = load_export_file(con, path, layout, export_date, "load-1", tmp_path / "q", registry=registry)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    row = con.execute("select deal_id, stage, changed_at::varchar from raw_crm.deal_stage_history").fetchone()
    assert row == ("7", "Won", "2024-01-31 09:15:00")


def test_a_name_two_tools_use_is_decided_by_the_header(tmp_path):
    quickbooks = write(tmp_path, "id,doc_number,total_amount,currency_id\n1,F1,10.00,EUR\n", "invoice_data.csv")
    assert layout_for_file(quickbooks)[0].kind == "quickbooks_invoices"
    stripe = tmp_path / "stripe" / "invoice_data.csv"
    stripe.parent.mkdir()
    stripe.write_text("id,amount_due,currency,number\nin_1,1000,usd,1\n", encoding="utf-8")
    assert layout_for_file(stripe)[0].kind == "stripe_invoices"


def test_export_date_is_the_last_date_in_the_name_else_the_modification_day(tmp_path):
    import os

    assert layout_for_file(Path("Opportunity_2024-01-01_to_2024-01-31.csv"))[1] == "2024-01-31"
    assert layout_for_file(Path("sf_opportunity_data_20240229.csv"))[1] == "2024-02-29"
    path = write(tmp_path, "id,stage_name\n", "sf_opportunity_data.csv")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    assert layout_for_file(path)[1] == "2023-11-14"


def test_an_existing_raw_table_gains_the_columns_a_newer_layout_has(tmp_path):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as connection:
        connection.execute("create schema raw_crm")
        connection.execute("create table raw_crm.deal_stage_history (deal_id varchar, stage varchar)")
        ensure_raw_tables(connection, LAYOUTS)
        columns = connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw_crm' and table_name = 'deal_stage_history' order by ordinal_position"
        ).fetchall()
    assert [name for (name,) in columns] == [name for name, _ in HISTORY.table_columns]


def test_docs_formats_lists_every_raw_table_and_column():
    from dealledger.settings import REPO_ROOT

    text = (REPO_ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for layout in LAYOUTS:
        heading = f"#### `{layout.raw_table}`"
        assert heading in text, f"docs/formats.md has no section for {layout.raw_table}"
        section = text.split(heading, 1)[1].split("####", 1)[0]
        missing = [name for name in layout.column_names if f"`{name}`" not in section]
        assert not missing, f"docs/formats.md, {layout.raw_table}: columns not listed: {missing}"
