"""`generate_demo`: CRM and billing exports of a Dutch B2B services firm, plus the ground truth behind them.

The exports (inbox) follow the layouts of docs/architecture.md; the truth (deals.csv, invoice_links.csv,
summary.json) says what the pipeline should find in them. Same seed and scale, same bytes: the demo's
"today" is the fixed AS_OF, all randomness comes from the seed, and every file is written in a fixed order.
"""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dealledger.demo import billing, crm
from dealledger.demo.billing import Billing, build_billing
from dealledger.demo.clock import AS_OF, AS_OF_END, DAY, day_number, month_index, month_number
from dealledger.demo.crm import Crm, build_crm
from dealledger.demo.export import (
    copy_csv,
    define_macros,
    load_tables,
    write_billing_exports,
    write_crm_changes_exports,
    write_crm_exports,
)
from dealledger.ingest.layouts import layout_for_file
from dealledger.settings import load_settings

MICRO = 1_000_000  # fx_rates.csv has 6 decimals: rates are kept as integer millionths


def generate_demo(
    inbox_dir: Path,
    truth_dir: Path,
    *,
    deals: int = 2000,
    seed: int = 42,
    crm_exports: int = 3,
    changes_exports: int = 0,
) -> dict:
    """Write the demo exports into `inbox_dir` and the ground truth into `truth_dir`; return the summary.

    `deals` real deals (merged duplicates and deals created by mistake come on top); `crm_exports` daily
    CRM exports ending on AS_OF, the newest `changes_exports` of them changes exports (only what changed
    since the day before), the others full exports; monthly billing exports up to AS_OF.
    """
    if deals < 1:
        raise ValueError("deals must be at least 1")
    if crm_exports < 1:
        raise ValueError("crm_exports must be at least 1")
    if not 0 <= changes_exports < crm_exports:
        raise ValueError("changes_exports must be at least 0 and less than crm_exports (the first export is full)")
    settings = load_settings()
    seeds_dir = settings.seeds_dir
    stage_names = _stage_names(seeds_dir / "stage_milestones.csv")
    teams = _teams(seeds_dir / "sales_targets.csv")
    fx = _fx_rates(seeds_dir / "fx_rates.csv")
    export_days = [AS_OF - timedelta(days=back) for back in range(crm_exports - 1, -1, -1)]
    first_changes = crm_exports - changes_exports  # the index of the first changes export day
    window_start = (day_number(export_days[0]) + 1) * DAY - 1

    # Independent streams, so a change in billing does not reshuffle the CRM.
    crm_rng, billing_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    model = build_crm(crm_rng, deals, teams, window_start)
    books = build_billing(billing_rng, model)

    inbox_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    deal_digits = crm.deal_id_digits(len(model.deals))
    settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="demo-generator-", dir=settings.duckdb_temp_dir) as spill_dir,
        # Bounded and spilling as the pipeline's connections do: at 10M deals the frames alone take a third
        # of the machine's memory.
        duckdb.connect(config={"memory_limit": settings.duckdb_memory_limit, "temp_directory": spill_dir}) as con,
    ):
        con.execute("set enable_progress_bar = false")  # long COPYs would draw bars on the terminal
        define_macros(con, stage_names, deal_digits)
        load_tables(con, model, books)
        files: dict[str, int] = {}
        for index, export_day in enumerate(export_days):
            if index < first_changes:
                files.update(write_crm_exports(con, inbox_dir, export_day))
            else:
                files.update(write_crm_changes_exports(con, inbox_dir, export_day, export_days[index - 1]))
        files.update(write_billing_exports(con, inbox_dir))
        won_amount_cents = _write_truth(con, model, fx, truth_dir)
        cases = _cases(con, model, books, deal_digits)

    real = model.deals[model.deals["kind"] == crm.REAL]
    status = real["status"].to_numpy()
    doc_type = books.docs["doc_type"].to_numpy()
    changed = _changed_in_window(model, window_start)
    summary = {
        "as_of": AS_OF.isoformat(),
        "seed": seed,
        "crm_export_dates": [day.isoformat() for day in export_days],
        "crm_changes_export_dates": [day.isoformat() for day in export_days[first_changes:]],
        "deal_count": len(real),
        "won_count": int((status == crm.STATUS_WON).sum()),
        "lost_count": int((status == crm.STATUS_LOST).sum()),
        "open_count": int((status == crm.OPEN).sum()),
        "won_amount_eur": _euros(won_amount_cents),
        "merged_duplicate_count": int((model.deals["kind"] == crm.DUPLICATE).sum()),
        "deleted_deal_count": int((model.deals["kind"] == crm.MISTAKE).sum()),
        "deals_changed_in_export_window": changed,
        "invoice_count": int((doc_type == billing.INVOICE).sum()),  # linked or not; credit notes apart
        "credit_note_count": int((doc_type == billing.CREDIT_NOTE).sum()),
        "unlinked_invoice_count": int((books.docs["rec"].to_numpy() < 0).sum()),
        "won_not_invoiced_count": int(books.won_not_invoiced.size),
        "row_counts": _rows_per_kind(files),
        "files": files,
        "cases": cases,
    }
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _rows_per_kind(files: dict[str, int]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for name, count in files.items():
        declared = layout_for_file(Path(name))
        if declared is None:
            raise ValueError(f"{name} is not named like an export the pipeline reads")
        rows[declared[0].kind] = rows.get(declared[0].kind, 0) + count
    return rows


def _stage_names(path: Path) -> list[str]:
    """The CRM's stage labels, in crm.STAGE_MILESTONES order."""
    with path.open(newline="", encoding="utf-8") as handle:
        by_milestone = {
            row["milestone"]: row["stage_name"] for row in csv.DictReader(handle) if row["source_system"] == "crm"
        }
    return [by_milestone[milestone] for milestone in crm.STAGE_MILESTONES]


def _teams(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(dict.fromkeys(row["team"] for row in csv.DictReader(handle)))


def _fx_rates(path: Path) -> np.ndarray:
    """EUR per unit in millionths, by [currency code, month since 1970-01]; -1 where the seed has none."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["currency"] in crm.CURRENCIES]
    months = [month_number(date.fromisoformat(row["rate_month"])) for row in rows]
    rates = np.full((len(crm.CURRENCIES), max(months) + 1), -1, dtype=np.int64)
    for row, month in zip(rows, months, strict=True):
        rate = Decimal(row["eur_per_unit"]) * MICRO
        if rate != rate.to_integral_value():
            raise ValueError(f"{path.name}: more than 6 decimals in {row}")
        rates[crm.CURRENCIES.index(row["currency"]), month] = int(rate)
    return rates


def _euros(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2).quantize(Decimal("0.01")))


def _write_truth(con: duckdb.DuckDBPyConnection, model: Crm, fx: np.ndarray, truth_dir: Path) -> int:
    """deals.csv and invoice_links.csv; returns the won amount in EUR cents."""
    real = model.deals[model.deals["kind"] == crm.REAL]
    won = real["status"].to_numpy() == crm.STATUS_WON
    # FX of the signature month for won deals, of the creation month for the others.
    fx_day = np.where(won, real["signed_at"].to_numpy(), real["created_at"].to_numpy()) // DAY
    currency, month = real["currency"].to_numpy(), month_index(fx_day)
    if month.max() >= fx.shape[1] or (fx[currency, month] < 0).any():
        raise ValueError("seeds/fx_rates.csv lacks a rate for a month the demo needs")
    amount = real["final_amount"].to_numpy()
    # round(amount * eur_per_unit, 2), half away from zero, in integers (amounts are positive).
    amount_eur = (amount * fx[currency, month] + MICRO // 2) // MICRO
    truth = pd.DataFrame(
        {
            "rec": real["rec"].to_numpy(),
            "status": real["status"].to_numpy(),
            "amount": amount,
            "currency": currency,
            "amount_eur": amount_eur,
            "signed_day": np.where(won, real["signed_at"].to_numpy() // DAY, -1),
            "owner": real["owner"].to_numpy(),
            "account": real["account"].to_numpy(),
        }
    )
    con.register("truth_frame", truth)
    copy_csv(
        con,
        """
        select
            'crm:' || deal_key(rec) as deal_id,
            status_name(status) as status,
            money(amount) as amount,
            currency_code(currency) as currency,
            money(amount_eur) as amount_eur,
            case when signed_day >= 0 then iso_date(signed_day) end as signed_date,
            owner_key(owner) as owner_id,
            'crm:' || account_key(account) as account_id
        from truth_frame
        order by rec
        """,
        truth_dir / "deals.csv",
    )
    copy_csv(
        con,
        """
        select
            'billing:' || invoice_id as invoice_id,
            case when deal_id is not null then 'crm:' || deal_id end as deal_id
        from doc_rows
        order by doc
        """,
        truth_dir / "invoice_links.csv",
    )
    return int(amount_eur[won].sum())


def _changed_in_window(model: Crm, window_start: int) -> int:
    """Deals whose row differs between the first and the last CRM export."""
    versions = model.versions
    staged = versions.loc[(versions["changed_at"] > window_start) & (versions["changed_at"] <= AS_OF_END), "rec"]
    deals = model.deals
    other = deals.loc[
        ((deals["merge_at"] > window_start) & (deals["merge_at"] <= AS_OF_END))
        | ((deals["deleted_at"] > window_start) & (deals["deleted_at"] <= AS_OF_END))
        | ((deals["po_from"] > window_start) & (deals["po_from"] <= AS_OF_END)),
        "rec",
    ]
    return int(pd.concat([staged, other]).nunique())


def _cases(con: duckdb.DuckDBPyConnection, model: Crm, books: Billing, deal_digits: int) -> dict:
    """Ids of the known hard cases (mart form), so tests can look at each; None where a scale lacks one."""

    def one(query: str) -> tuple | None:
        return con.execute(query).fetchone()

    def deal(rec: int | None) -> str | None:
        return None if rec is None else f"crm:D{rec + 1:0{deal_digits}d}"

    kinds = model.deals["kind"].to_numpy()
    duplicates = np.flatnonzero(kinds == crm.DUPLICATE)
    mistakes = np.flatnonzero(kinds == crm.MISTAKE)
    cases: dict = {
        "po_number_only_reference": deal(books.po_only_deal),
        "equal_amounts_same_account_and_month": None
        if model.equal_amount_pair is None
        else [deal(rec) for rec in model.equal_amount_pair],
        "merged_duplicate": None
        if duplicates.size == 0
        else {
            "deal_id": deal(int(duplicates[0])),
            "merged_into_deal_id": deal(int(model.deals["merged_into"].iloc[duplicates[0]])),
        },
        "deleted_deal": deal(int(mistakes[0])) if mistakes.size else None,
        "referral_chain": [f"crm:A{account + 1:07d}" for account in model.referral_chain],
        "won_not_invoiced": [deal(int(rec)) for rec in books.won_not_invoiced[:5]],
    }
    credit = (
        None
        if books.credit_note is None
        else one(f"select invoice_id, deal_id, corrects_invoice_number from doc_rows where doc = {books.credit_note}")
    )
    cases["credit_note"] = (
        None
        if credit is None
        else {
            "invoice_id": f"billing:{credit[0]}",
            "deal_id": f"crm:{credit[1]}",
            "corrects_invoice_number": credit[2],
        }
    )
    duplicate_number = (
        None
        if books.duplicate_number is None
        else one(
            "select any_value(invoice_number), list(invoice_id order by doc) from doc_rows "
            f"where doc in {books.duplicate_number}"
        )
    )
    cases["duplicate_invoice_number"] = (
        None
        if duplicate_number is None
        else {
            "invoice_number": duplicate_number[0],
            "invoice_ids": [f"billing:{invoice}" for invoice in duplicate_number[1]],
        }
    )
    spelled = one(
        """
        select account_key(account), name, billing_name from accounts_frame
        where name <> billing_name and account in (select account from docs_frame)
        order by account
        limit 1
        """
    )
    cases["account_spelled_two_ways"] = (
        None
        if spelled is None
        else {
            "account_id": f"crm:{spelled[0]}",
            "crm_name": spelled[1],
            "billing_name": spelled[2],
        }
    )
    return cases
