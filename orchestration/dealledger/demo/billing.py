"""The demo accounting system: invoices, credit notes and their lines, for the CRM's won deals and a bit more.

Accounting has its own ids (customers, invoice ids and numbers) and references deals in mixed quality;
all money is integer cents, so installments, lines and VAT add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dealledger.demo import names
from dealledger.demo.clock import AS_OF_DAY, DAY, add_months, month_index, years
from dealledger.demo.crm import REAL, STATUS_WON, Crm

INVOICE, CREDIT_NOTE = range(2)
INVOICE_TYPES = ("invoice", "credit_note")
# How a document refers to its deal. SUPPORT: the no-deal invoices' own free text.
DEAL_ID, QUOTE, PO, QUOTE_TEXT, FREE_TEXT, EMPTY, SUPPORT = range(7)
STYLE_SHARES = {DEAL_ID: 0.30, QUOTE: 0.25, PO: 0.15, QUOTE_TEXT: 0.10, FREE_TEXT: 0.10, EMPTY: 0.10}
DEAL_LINE, CREDIT_LINE, SUPPORT_LINE = range(3)  # which description list a line takes its text from
VAT_PERCENT = 21
INVOICE_DELAY_DAYS = 45  # first invoice at most this long after the signature
MAX_INSTALLMENTS = 4


@dataclass
class Billing:
    docs: pd.DataFrame  # one row per document, in invoice id order
    lines: pd.DataFrame
    credit_note: int | None  # a credit note's document, for summary.json's hard cases
    duplicate_number: tuple[int, int] | None  # two documents printed with one invoice number
    po_only_deal: int | None  # a deal whose invoices carry only the customer's PO number
    won_not_invoiced: np.ndarray  # deal records signed recently, not invoiced by AS_OF


def build_billing(rng: np.random.Generator, crm: Crm) -> Billing:
    deals = crm.deals
    won = np.flatnonzero((deals["kind"].to_numpy() == REAL) & (deals["status"].to_numpy() == STATUS_WON))
    first_day = deals["signed_at"].to_numpy()[won] // DAY + rng.integers(0, INVOICE_DELAY_DAYS + 1, won.size)
    invoiced, first_day = won[first_day <= AS_OF_DAY], first_day[first_day <= AS_OF_DAY]
    not_invoiced = np.setdiff1d(won, invoiced)

    style = _reference_styles(rng, deals["po"].to_numpy()[invoiced] >= 0)
    if crm.equal_amount_pair is not None:
        # Same account, amount and month: only an explicit reference tells their invoices apart.
        style[np.isin(invoiced, crm.equal_amount_pair)] = DEAL_ID
    # Installments: all dated by AS_OF, so every invoiced deal is invoiced in full. Free text or no
    # reference: one invoice, which account + amount + date can still find.
    parts = np.where(rng.random(invoiced.size) < 0.55, 1, rng.integers(2, MAX_INSTALLMENTS + 1, invoiced.size))
    parts[np.isin(style, (FREE_TEXT, EMPTY))] = 1
    possible = add_months(first_day[:, None], np.arange(MAX_INSTALLMENTS)[None, :]) <= AS_OF_DAY
    parts = np.minimum(parts, possible.sum(axis=1))

    deal_of = np.repeat(np.arange(invoiced.size), parts)
    first_row = np.cumsum(parts) - parts
    part = np.arange(deal_of.size) - first_row[deal_of]
    amount = deals["final_amount"].to_numpy()[invoiced][deal_of]
    share = amount // parts[deal_of]
    installments = {
        "rec": invoiced[deal_of],
        "doc_type": np.full(deal_of.size, INVOICE),
        "day": add_months(first_day[deal_of], part),
        "net": np.where(part == parts[deal_of] - 1, amount - share * (parts[deal_of] - 1), share),
        "style": style[deal_of],
        "part": part,
        "parts": parts[deal_of],
        "corrects": np.full(deal_of.size, -1),
    }

    credit_notes = _credit_notes(rng, installments, first_row, parts)
    support = _support_invoices(rng, installments, deal_of.size + credit_notes["rec"].size)
    docs, lines = _documents(rng, deals, [installments, credit_notes, support])
    docs, duplicate_number = _number(rng, docs)

    po_only = np.flatnonzero(style == PO)
    credit = np.flatnonzero(docs["doc_type"].to_numpy() == CREDIT_NOTE)
    return Billing(
        docs=_with_customers(docs, crm.accounts),
        lines=lines,
        credit_note=int(credit[0]) if credit.size else None,
        duplicate_number=duplicate_number,
        po_only_deal=int(invoiced[po_only[0]]) if po_only.size else None,
        won_not_invoiced=not_invoiced,
    )


def _reference_styles(rng: np.random.Generator, has_po: np.ndarray) -> np.ndarray:
    """One reference style per invoiced deal, shared by all its documents (shares: STYLE_SHARES)."""
    without_po = [s for s in STYLE_SHARES if s != PO]
    weights = np.array([STYLE_SHARES[s] for s in without_po])
    style = np.asarray(without_po)[rng.choice(len(without_po), has_po.size, p=weights / weights.sum())]
    # Only deals with a PO number can be referenced by it: among those, often enough for the overall share.
    po_share = min(1.0, STYLE_SHARES[PO] / max(float(has_po.mean()) if has_po.size else 0.0, 1e-9))
    by_po = has_po & (rng.random(has_po.size) < po_share)
    if not by_po.any() and has_po.any():
        by_po[np.argmax(has_po)] = True  # keep the hard case "referenced only by its PO number"
    style[by_po] = PO
    return style


def _credit_notes(
    rng: np.random.Generator, installments: dict[str, np.ndarray], first_row: np.ndarray, parts: np.ndarray
) -> dict[str, np.ndarray]:
    """~5% of invoiced deals get one credit note for part of one of their invoices, dated after it."""
    target = first_row + (rng.random(parts.size) * parts).astype(np.int64)
    room = AS_OF_DAY - installments["day"][target]
    chosen = (rng.random(parts.size) < 0.05) & (room >= 1)
    if not chosen.any() and (room >= 1).any():
        chosen[np.argmax(room >= 1)] = True  # keep the hard case "a credit note"
    target, room = target[chosen], room[chosen]
    net = installments["net"][target]
    credited = np.maximum(100, np.round(net * rng.uniform(0.1, 0.5, target.size) / 100).astype(np.int64) * 100)
    notes = {
        "rec": installments["rec"][target],
        "doc_type": np.full(target.size, CREDIT_NOTE),
        "day": installments["day"][target] + 1 + (rng.random(target.size) * np.minimum(40, room)).astype(np.int64),
        "net": -credited,
        "style": np.where(rng.random(target.size) < 0.7, installments["style"][target], EMPTY),
        "part": np.zeros(target.size, dtype=np.int64),
        "parts": np.ones(target.size, dtype=np.int64),
        "corrects": target,  # an installment row here; _documents maps it to the document
    }
    return notes


def _support_invoices(
    rng: np.random.Generator, installments: dict[str, np.ndarray], deal_docs: int
) -> dict[str, np.ndarray]:
    """~3% extra invoices for small work (hours) that belong to no deal, to customers invoiced before."""
    count = max(1, round(0.03 * deal_docs))
    earlier = np.flatnonzero(installments["day"] <= AS_OF_DAY - 15)
    base = earlier[rng.integers(0, earlier.size, count)] if earlier.size else np.zeros(0, dtype=np.int64)
    base_day = installments["day"][base]
    return {
        "rec": installments["rec"][base],  # only for the customer; the link is dropped in _documents
        "doc_type": np.full(base.size, INVOICE),
        "day": base_day + 10 + (rng.random(base.size) * (AS_OF_DAY - base_day - 10)).astype(np.int64),
        "net": np.zeros(base.size, dtype=np.int64),  # the sum of the hour lines, filled in _documents
        "style": np.where(rng.random(base.size) < 0.7, SUPPORT, EMPTY),
        "part": np.zeros(base.size, dtype=np.int64),
        "parts": np.ones(base.size, dtype=np.int64),
        "corrects": np.full(base.size, -1),
    }


def _documents(
    rng: np.random.Generator, deals: pd.DataFrame, groups: list[dict[str, np.ndarray]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All documents in invoice id order (by date), with their lines that add up to their net amounts."""
    installments, credit_notes, support = groups
    sizes = [g["rec"].size for g in groups]
    offsets = np.cumsum([0, *sizes[:-1]])
    docs = {name: np.concatenate([g[name] for g in groups]) for name in installments}
    docs["account"] = deals["account"].to_numpy()[docs["rec"]]
    docs["currency"] = deals["currency"].to_numpy()[docs["rec"]]
    is_support = np.arange(docs["rec"].size) >= offsets[2]
    docs["rec"] = np.where(is_support, -1, docs["rec"])
    docs["currency"][is_support] = 0  # EUR

    # Lines: support invoices bill hours at a rate; deal documents split their net into 1-3 parts.
    line_count = np.concatenate(
        [rng.integers(1, 4, sizes[0]), np.ones(sizes[1], dtype=np.int64), rng.integers(1, 4, sizes[2])]
    )
    doc = np.repeat(np.arange(line_count.size), line_count)
    first_line = np.cumsum(line_count) - line_count
    number = np.arange(doc.size) - first_line[doc] + 1
    hourly = is_support[doc]
    half_hours = rng.integers(5, 17, doc.size)  # 2.5 to 8 hours
    rate = np.asarray(names.HOURLY_RATES_EUR)[rng.integers(0, len(names.HOURLY_RATES_EUR), doc.size)]
    hours_amount = np.where(hourly, half_hours * rate * 50, 0)
    docs["net"] = np.where(is_support, np.add.reduceat(hours_amount, first_line), docs["net"])
    weight = rng.integers(2, 6, doc.size)
    line_amount = docs["net"][doc] * weight // np.add.reduceat(weight, first_line)[doc]
    last = number == line_count[doc]
    line_amount[last] = 0
    line_amount[last] = docs["net"] - np.add.reduceat(line_amount, first_line)
    line_amount[hourly] = hours_amount[hourly]
    kind = np.select([hourly, docs["doc_type"][doc] == CREDIT_NOTE], [SUPPORT_LINE, CREDIT_LINE], DEAL_LINE)
    descriptions = np.select(
        [kind == SUPPORT_LINE], [len(names.SUPPORT_LINE_DESCRIPTIONS)], len(names.LINE_DESCRIPTIONS)
    )

    order = np.lexsort((rng.random(line_count.size), docs["day"]))
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    docs["corrects"] = np.where(docs["corrects"] >= 0, position[np.maximum(docs["corrects"], 0)], -1)
    frame = pd.DataFrame({name: values[order] for name, values in docs.items()})
    frame.insert(0, "doc", np.arange(order.size))
    frame["month"] = month_index(frame["day"].to_numpy())
    # Which free text (names.*_REFERENCE_TEXTS): one per deal, so its documents read alike.
    rec = frame["rec"].to_numpy()
    frame["template"] = np.where(rec >= 0, rec, rng.integers(0, 1_000, order.size))
    negative = frame["net"].to_numpy() < 0
    vat = (np.abs(frame["net"].to_numpy()) * VAT_PERCENT + 50) // 100  # rounded half up, in cents
    frame["vat"] = np.where(negative, -vat, vat)
    frame["total"] = frame["net"] + frame["vat"]

    quantity = np.where(hourly, half_hours * 5_000, 10_000)  # in 1/10,000
    lines = pd.DataFrame(
        {
            "doc": position[doc],
            "line_number": number,
            "kind": kind,
            # Consecutive from a random first one: the lines of a document all read differently.
            "description": ((rng.random(line_count.size)[doc] * descriptions).astype(np.int64) + number) % descriptions,
            "quantity": quantity,
            "unit_price": np.where(hourly, rate * 100, line_amount),
            "line_amount": line_amount,
        }
    ).sort_values(["doc", "line_number"], ignore_index=True)
    return frame, lines


def _number(rng: np.random.Generator, docs: pd.DataFrame) -> tuple[pd.DataFrame, tuple[int, int] | None]:
    """Invoice numbers <year>-<sequence>; ~0.3% reuse the number of the document before them (same year)."""
    year = years(docs["day"].to_numpy())
    sequence = np.arange(year.size) - np.searchsorted(year, year, side="left") + 1
    doc_type, net = docs["doc_type"].to_numpy(), docs["net"].to_numpy()
    # Neither document of a pair may be corrected by a credit note: the correction stays unambiguous.
    corrected = np.zeros(year.size, dtype=bool)
    corrected[docs["corrects"].to_numpy()[docs["corrects"].to_numpy() >= 0]] = True
    plain = (doc_type == INVOICE) & ~corrected
    candidates = np.flatnonzero(plain[1:] & plain[:-1] & (year[1:] == year[:-1]) & (net[1:] != net[:-1])) + 1
    wanted = min(candidates.size, max(1, round(0.003 * year.size)))
    reusing = np.sort(rng.choice(candidates, wanted, replace=False))
    reusing = reusing[~np.isin(reusing - 1, reusing)]  # a number is reused by one other document only
    sequence[reusing] = sequence[reusing - 1]
    docs["year"], docs["sequence"] = year, sequence
    pair = (int(reusing[0]) - 1, int(reusing[0])) if reusing.size else None
    return docs, pair


def _with_customers(docs: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounting numbers its customers (debtors) in the order they were first invoiced."""
    first_doc = docs.groupby("account")["doc"].min()
    customer = pd.Series(np.argsort(np.argsort(first_doc.to_numpy(), kind="stable")) + 10_001, first_doc.index)
    docs["customer"] = customer.reindex(docs["account"]).to_numpy()
    return docs
