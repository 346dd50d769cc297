"""The demo CRM as numpy arrays: sales reps, accounts, contacts, deals with their stage paths, activities.

Every deal's whole life is drawn up front (stage times, amounts); the exports then show each record as it
stood at the end of an export day, and everything after AS_OF simply has not happened yet. Strings are
left to SQL (export.py): here a name is an index into a word list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dealledger.demo import names
from dealledger.demo.clock import (
    AS_OF_DAY,
    AS_OF_END,
    DAY,
    FIRST_DEAL_DAY,
    NEVER,
    day_number,
    growing_days,
    month_index,
    office_moment,
    years,
)

# Stage codes, in the order of the milestones of seeds/stage_milestones.csv.
LEAD, QUALIFIED, PROPOSAL, VERBAL, WON, LOST = range(6)
STAGE_MILESTONES = ("created", "qualified", "proposal", "verbal_order", "contract_signed", "lost")
MAX_STEPS = 5  # Lead, Qualified, Proposal, Verbal Order, Closed Won/Lost

OPEN, STATUS_WON, STATUS_LOST = range(3)
STATUSES = ("open", "won", "lost")
REAL, DUPLICATE, MISTAKE = range(3)  # what a CRM deal record is

LEAD_SOURCES = ("referral", "website", "event", "outbound", "partner")
REFERRAL, WEBSITE = 0, 1
CURRENCIES = ("EUR", "USD", "GBP")
ROLES = ("decision_maker", "champion", "user")
DECISION_MAKER, CHAMPION, USER = range(3)
ACTIVITY_TYPES = ("meeting", "call", "email")
MEETING, CALL, EMAIL = range(3)
LEGAL_FORMS = ("B.V.", "V.O.F.", "N.V.", "")

# Company name patterns (see names.py).
SURNAME_BRANCH, BRAND_BRANCH, SURNAME_PARTNERS, FOUNDATION, COOPERATIVE = range(5)
# How billing spells a customer compared to the CRM.
SAME, UPPER, NO_DOTS, NO_LEGAL_FORM, AMPERSAND, EXTRA_SPACE, UPPER_NO_DOTS = range(7)

# Days from one stage to the next, [low, high), by stage code of the stage reached (Lead never is).
GAP_DAYS = np.array([(1, 2), (2, 25), (5, 40), (7, 60), (2, 25), (3, 50)])
WIN_RATE_DECISION_MAKER_MET = 0.45
WIN_RATE_OTHERWISE = 0.185  # together about 30% of closed deals won
LOST_AFTER_STAGE_SHARES = (0.3, 0.3, 0.3, 0.1)  # lost after Lead / Qualified / Proposal / Verbal Order
# Share of deals whose next stage lands after the first export of the window (so exports differ).
WINDOW_CHANGE_SHARE = 0.04
LEAVING_REP = 2  # U003 left the firm on LEAVING_DATE
LEAVING_DATE = date(2024, 3, 31)
MAX_DEAL_DAYS = 200  # longer than any stage path: a leaving rep gets no deals in their last 200 days


@dataclass
class Crm:
    users: pd.DataFrame
    accounts: pd.DataFrame
    contacts: pd.DataFrame
    deals: pd.DataFrame  # every CRM deal record: real deals, merged duplicates, deals created by mistake
    versions: pd.DataFrame  # one row per stage change (the stage history)
    activities: pd.DataFrame
    equal_amount_pair: tuple[int, int] | None  # records of one account, same amount, signed the same month
    referral_chain: list[int]  # accounts, each referred by the next


def deal_id_digits(records: int) -> int:
    """Digits of the CRM deal ids (D0000001): 7, more only when the records need them, so that the ids
    still sort as they rise with creation time."""
    return max(7, len(str(records)))


@dataclass(frozen=True)
class _Reps:
    start_day: np.ndarray
    last_deal_day: np.ndarray

    def pick(self, rng: np.random.Generator, days: np.ndarray, preferred: np.ndarray | None = None) -> np.ndarray:
        """A rep employed on each day (the preferred one if they are), else a random one who is."""
        owner = rng.integers(0, self.start_day.size, days.size) if preferred is None else preferred.copy()
        invalid = (self.start_day[owner] > days) | (self.last_deal_day[owner] < days)
        while invalid.any():
            owner[invalid] = rng.integers(0, self.start_day.size, int(invalid.sum()))
            invalid = (self.start_day[owner] > days) | (self.last_deal_day[owner] < days)
        return owner


def build_crm(rng: np.random.Generator, deals: int, teams: list[str], window_start: int) -> Crm:
    """The CRM for `deals` real deals; `window_start` is the end of the first export day."""
    reps, users = _users(rng, deals, teams)
    accounts, account_rep = _accounts(rng, deals, reps)
    contacts = _contacts(rng, accounts)
    lives = _deal_lives(rng, deals, accounts, reps, account_rep)
    _push_into_window(rng, lives, window_start)
    _realise(lives)
    pair = _equal_amount_pair(rng, lives, accounts)
    _assign_referrers(rng, lives)
    _number_quotes_and_orders(rng, lives)
    records = _with_duplicates_and_mistakes(rng, lives, accounts, reps)
    del lives  # at 10M deals every array here is held twice otherwise
    order = np.argsort(records["created_at"], kind="stable")  # CRM ids rise with creation time
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    for name in records:  # one array at a time: a copy of all of them would not fit at 10M deals
        records[name] = records[name][order]
    records["merged_into"] = np.where(records["merged_into"] >= 0, rank[records["merged_into"]], -1)
    deal_frame, versions = _deal_frames(records)
    return Crm(
        users=users,
        accounts=accounts,
        contacts=contacts,
        deals=deal_frame,
        versions=versions,
        activities=_activities(rng, records, accounts, contacts),
        equal_amount_pair=None if pair is None else (int(rank[pair[0]]), int(rank[pair[1]])),
        referral_chain=_longest_referral_chain(accounts["referred_by"].to_numpy()),
    )


def _users(rng: np.random.Generator, deals: int, teams: list[str]) -> tuple[_Reps, pd.DataFrame]:
    count = min(20, max(5, deals // 400))
    start_day = np.full(count, day_number(date(2020, 1, 1)), dtype=np.int64)
    hired_later = np.arange(count) >= 5
    start_day[hired_later] = np.sort(
        rng.integers(day_number(date(2021, 3, 1)), AS_OF_DAY - 180, int(hired_later.sum()))
    )
    last_deal_day = np.full(count, AS_OF_DAY, dtype=np.int64)
    last_deal_day[LEAVING_REP] = day_number(LEAVING_DATE) - MAX_DEAL_DAYS
    person = rng.choice(len(names.FIRST_NAMES) * len(names.LAST_NAMES), count, replace=False)
    users = pd.DataFrame(
        {
            "owner": np.arange(count),
            "first_name": np.asarray(names.FIRST_NAMES)[person // len(names.LAST_NAMES)],
            "last_name": np.asarray(names.LAST_NAMES)[person % len(names.LAST_NAMES)],
            "team": np.asarray(teams)[np.arange(count) % len(teams)],
            "is_active": np.arange(count) != LEAVING_REP,
        }
    )
    return _Reps(start_day, last_deal_day), users


def _accounts(rng: np.random.Generator, deals: int, reps: _Reps) -> tuple[pd.DataFrame, np.ndarray]:
    count = max(30, deals // 4)
    existing = max(10, count * 15 // 100)  # customers from before the CRM's first deal
    days = np.concatenate(
        [
            rng.integers(day_number(date(2020, 1, 1)), FIRST_DEAL_DAY, existing),
            growing_days(rng, count - existing, FIRST_DEAL_DAY, AS_OF_DAY - 14),
        ]
    )
    created_at = np.sort(office_moment(rng, days, last_day=AS_OF_DAY - 14))
    created_day = created_at // DAY
    pattern = rng.choice(5, count, p=[0.5, 0.2, 0.15, 0.11, 0.04])
    legal = rng.choice(len(LEGAL_FORMS), count, p=[0.75, 0.12, 0.05, 0.08])
    city = rng.integers(0, len(names.CITIES), count)
    core, name, industry = _company_names(rng, pattern, legal, city)
    has_kvk = rng.random(count) < 0.6
    kvk_later = has_kvk & (rng.random(count) < 0.3)  # the rep looked it up after creating the account
    kvk_from = np.where(has_kvk, created_at, NEVER)
    kvk_from[kvk_later] = office_moment(rng, created_day[kvk_later] + rng.integers(10, 600, int(kvk_later.sum())))
    vat = np.where(rng.random(count) < 0.35, rng.integers(100_000_000, 1_000_000_000, count), -1)

    billing_name = _billing_spelling(rng, pattern, legal, core, name)
    accounts = pd.DataFrame(
        {
            "account": np.arange(count),
            "name": name,
            "core": core,
            "kvk": rng.choice(90_000_000, count, replace=False) + 10_000_000,
            "kvk_from": kvk_from,
            "vat": vat,
            "city": city,
            "industry": industry,
            "referred_by": _account_referrers(rng, count),
            "created_at": created_at,
            "created_day": created_day,
            "billing_name": billing_name,
            "billing_has_kvk": rng.random(count) < 0.5,
        }
    )
    return accounts, reps.pick(rng, created_day)


def _company_names(
    rng: np.random.Generator, pattern: np.ndarray, legal: np.ndarray, city: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Names and industries; the names stay distinct however billing spells them (see _billing_spelling)."""
    count = pattern.size
    surnames = pd.Series([s[0].upper() + s[1:] for s in names.LAST_NAMES])
    surname = surnames.iloc[rng.integers(0, len(surnames), count)].to_numpy()
    branch_code = rng.integers(0, len(names.BRANCHES), count)
    care_code = rng.integers(0, len(names.CARE_WORDS), count)
    cooperative_code = rng.integers(0, len(names.COOPERATIVE_WORDS), count)
    branch = np.asarray([word for word, _ in names.BRANCHES])[branch_code]
    brand = (
        pd.Series(np.asarray(names.BRAND_PREFIXES)[rng.integers(0, len(names.BRAND_PREFIXES), count)])
        + pd.Series(np.asarray(names.BRAND_SUFFIXES)[rng.integers(0, len(names.BRAND_SUFFIXES), count)])
    ).to_numpy()
    partners = np.asarray(names.PARTNER_SUFFIXES)[rng.integers(0, len(names.PARTNER_SUFFIXES), count)]
    care = np.asarray([word for word, _ in names.CARE_WORDS])[care_code]
    cooperative = np.asarray([word for word, _ in names.COOPERATIVE_WORDS])[cooperative_code]
    cities = np.asarray(names.CITIES)
    core = pd.Series(
        np.select(
            [pattern == SURNAME_BRANCH, pattern == BRAND_BRANCH, pattern == SURNAME_PARTNERS, pattern == FOUNDATION],
            [
                pd.Series(surname) + " " + branch,
                pd.Series(brand) + " " + branch,
                pd.Series(surname) + " " + partners,
                pd.Series(care) + " " + cities[city],
            ],
            pd.Series(cooperative) + " " + cities[city],
        )
    )

    # Same name twice (also as billing may spell it: any case, "&" for "en"): add a place, a few rounds;
    # what is still taken gets a number.
    def spelled_alike(names_: pd.Series) -> pd.Series:
        return names_.str.lower().str.replace(" & ", " en ", regex=False)

    for _ in range(3):
        taken = spelled_alike(core).duplicated().to_numpy()
        if not taken.any():
            break
        core[taken] = core[taken] + " " + cities[rng.integers(0, len(cities), int(taken.sum()))]
    rank = core.groupby(spelled_alike(core)).cumcount().to_numpy()
    core[rank > 0] = core[rank > 0] + " " + (rank[rank > 0] + 1).astype(str)

    legal_form = np.asarray(LEGAL_FORMS)[legal]
    with_form = np.where(legal_form == "", core, core + " " + legal_form)
    name = np.select(
        [pattern == FOUNDATION, pattern == COOPERATIVE],
        ["Stichting " + core, "Coöperatie " + core + " U.A."],
        with_form,
    )

    def industry_of(words: tuple[tuple[str, str], ...]) -> np.ndarray:
        return np.asarray([names.INDUSTRIES.index(industry) for _, industry in words])

    industry = np.select(
        [pattern == SURNAME_PARTNERS, pattern == FOUNDATION, pattern == COOPERATIVE],
        [
            names.INDUSTRIES.index(names.PARTNERS_INDUSTRY),
            industry_of(names.CARE_WORDS)[care_code],
            industry_of(names.COOPERATIVE_WORDS)[cooperative_code],
        ],
        industry_of(names.BRANCHES)[branch_code],
    )
    return core.to_numpy(), name, industry


def _billing_spelling(
    rng: np.random.Generator, pattern: np.ndarray, legal: np.ndarray, core: np.ndarray, name: np.ndarray
) -> np.ndarray:
    """Accounting's spelling of each customer: the CRM's in about half the cases, else a variant."""
    count = pattern.size
    variant = np.where(rng.random(count) < 0.5, rng.integers(1, 7, count), SAME)
    dotted = (pattern == COOPERATIVE) | ((pattern != FOUNDATION) & (legal != LEGAL_FORMS.index("")))
    has_legal_form = (pattern == FOUNDATION) | dotted
    # Only variants that change this name: every variant other than SAME really differs.
    variant[(variant == AMPERSAND) & (pattern != SURNAME_PARTNERS)] = UPPER
    variant[np.isin(variant, (NO_DOTS, UPPER_NO_DOTS)) & ~dotted] = UPPER
    variant[(variant == NO_LEGAL_FORM) & ~has_legal_form] = EXTRA_SPACE

    spelled = pd.Series(name, dtype=object)
    no_dots = (
        spelled.str.replace("B.V.", "BV", regex=False)
        .str.replace("N.V.", "NV", regex=False)
        .str.replace("V.O.F.", "VOF", regex=False)
        .str.replace("U.A.", "UA", regex=False)
    )
    ampersand = np.where(
        spelled.str.contains(" & ", regex=False),
        spelled.str.replace(" & ", " en ", regex=False),
        spelled.str.replace(" en ", " & ", regex=False),
    )
    return np.select(
        [
            variant == UPPER,
            variant == NO_DOTS,
            variant == NO_LEGAL_FORM,
            variant == AMPERSAND,
            variant == EXTRA_SPACE,
            variant == UPPER_NO_DOTS,
        ],
        [
            spelled.str.upper(),
            no_dots,
            core,
            ampersand,
            spelled.str.replace(" ", "  ", n=1, regex=False),
            no_dots.str.upper(),
        ],
        spelled,
    )


def _account_referrers(rng: np.random.Generator, count: int) -> np.ndarray:
    """~15% of accounts were referred by an earlier one; often by one that was referred itself (chains)."""
    referred_by = np.full(count, -1, dtype=np.int64)
    referred = np.flatnonzero(rng.random(count) < 0.15)
    referred = referred[referred > 0]
    earlier_referred = np.arange(referred.size)  # referred accounts before each one
    chained = (rng.random(referred.size) < 0.6) & (earlier_referred > 0)
    any_earlier = (rng.random(referred.size) * referred).astype(np.int64)
    one_of_chain = referred[(rng.random(referred.size) * earlier_referred).astype(np.int64)]
    referred_by[referred] = np.where(chained, one_of_chain, any_earlier)
    return referred_by


def _longest_referral_chain(referred_by: np.ndarray) -> list[int]:
    depth = np.zeros(referred_by.size, dtype=np.int64)
    current = referred_by.copy()
    while (current >= 0).any():  # one pass per generation
        depth += current >= 0
        current = np.where(current >= 0, referred_by[np.maximum(current, 0)], -1)
    chain = [int(np.argmax(depth))]
    while referred_by[chain[-1]] >= 0:
        chain.append(int(referred_by[chain[-1]]))
    return chain


def _contacts(rng: np.random.Generator, accounts: pd.DataFrame) -> pd.DataFrame:
    per_account = rng.integers(2, 6, len(accounts))
    account = np.repeat(accounts["account"].to_numpy(), per_account)
    position = np.arange(account.size) - np.repeat(np.cumsum(per_account) - per_account, per_account)
    # Every account has a decision maker (first) and a champion (second); the others vary.
    role = np.where(position == 0, DECISION_MAKER, CHAMPION)
    others = position >= 2
    role[others] = rng.choice(3, int(others.sum()), p=[0.15, 0.25, 0.6])
    created_at = accounts["created_at"].to_numpy()[account]
    phone_changed = rng.random(account.size) < 0.1
    phone_from = np.where(
        phone_changed, office_moment(rng, created_at // DAY + rng.integers(30, 900, account.size)), NEVER
    )
    return pd.DataFrame(
        {
            "contact": np.arange(account.size),
            "account": account,
            "first_name": rng.integers(0, len(names.FIRST_NAMES), account.size),
            "last_name": rng.integers(0, len(names.LAST_NAMES), account.size),
            "role": role,
            "phone": rng.integers(10_000_000, 100_000_000, account.size),
            "new_phone": rng.integers(10_000_000, 100_000_000, account.size),
            "phone_from": phone_from,
            "created_at": created_at,
        }
    )


def _deal_lives(
    rng: np.random.Generator, deals: int, accounts: pd.DataFrame, reps: _Reps, account_rep: np.ndarray
) -> dict[str, np.ndarray]:
    """Every real deal's whole path, also the part after AS_OF that has not happened yet."""
    account_created = accounts["created_at"].to_numpy()
    account_count = len(accounts)
    # Every account (up to the number of deals) comes with a first deal soon after it was created.
    firsts = min(deals, account_count)
    first_account = np.sort(rng.choice(account_count, firsts, replace=False))
    first_day = np.minimum(
        np.maximum(
            accounts["created_day"].to_numpy()[first_account] + rng.integers(0, 31, firsts),
            FIRST_DEAL_DAY + rng.integers(0, 120, firsts),
        ),
        AS_OF_DAY,
    )
    repeat_day = growing_days(rng, deals - firsts, FIRST_DEAL_DAY, AS_OF_DAY)
    created_at = office_moment(rng, np.concatenate([first_day, repeat_day]), last_day=AS_OF_DAY)
    # Repeat deals go to an account that existed before them.
    known = np.searchsorted(account_created, created_at[firsts:], side="left")
    account = np.concatenate([first_account, (rng.random(deals - firsts) * known).astype(np.int64)])
    created_at = np.minimum(np.maximum(created_at, account_created[account] + 600), AS_OF_END)
    created_day = created_at // DAY
    preferred = np.where(rng.random(deals) < 0.7, account_rep[account], rng.integers(0, reps.start_day.size, deals))

    decision_maker_met = rng.random(deals) < 0.45
    won = rng.random(deals) < np.where(decision_maker_met, WIN_RATE_DECISION_MAKER_MET, WIN_RATE_OTHERWISE)
    lost_after = rng.choice(4, deals, p=LOST_AFTER_STAGE_SHARES)
    steps = np.where(won, MAX_STEPS, lost_after + 2)
    step = np.arange(MAX_STEPS)
    stage = np.where(step < steps[:, None] - 1, step, np.where(won, WON, LOST)[:, None])
    stage[step >= steps[:, None]] = -1

    amount = np.empty((deals, MAX_STEPS), dtype=np.int64)
    amount[:, 0] = _round_amount(np.exp(rng.normal(np.log(30_000), 0.8, deals)))
    times = np.full((deals, MAX_STEPS), NEVER, dtype=np.int64)
    times[:, 0] = created_at
    expected = np.empty((deals, MAX_STEPS), dtype=np.int64)
    expected[:, 0] = created_day + rng.integers(45, 150, deals)
    day = created_day
    for j in range(1, MAX_STEPS):
        reached = stage[:, j]  # -1 where the path has ended: its times are NEVER below
        gap = GAP_DAYS[reached]
        moment = office_moment(rng, day + rng.integers(gap[:, 0], gap[:, 1]))
        times[:, j] = np.where(j < steps, moment, NEVER)
        day = moment // DAY
        # The amount is revised at Qualified and Proposal, sometimes.
        revise = np.select(
            [reached == QUALIFIED, reached == PROPOSAL],
            [rng.random(deals) < 0.25, rng.random(deals) < 0.35],
            False,
        )
        factor = rng.uniform(0.8, 1.3, deals)
        amount[:, j] = np.where(revise, _round_amount(amount[:, j - 1] / 100 * factor), amount[:, j - 1])
        expected[:, j] = np.select(
            [
                (reached == QUALIFIED) & (rng.random(deals) < 0.4),
                reached == PROPOSAL,
                reached == VERBAL,
                (reached == WON) | (reached == LOST),
            ],
            [
                day + rng.integers(30, 120, deals),
                day + rng.integers(14, 75, deals),
                day + rng.integers(3, 25, deals),
                day,
            ],
            expected[:, j - 1],
        )
    return {
        "created_at": created_at,
        "account": account,
        "owner": reps.pick(rng, created_day, preferred),
        "currency": rng.choice(3, deals, p=[0.88, 0.08, 0.04]),
        "lead_source": rng.choice(len(LEAD_SOURCES), deals, p=[0.15, 0.30, 0.15, 0.25, 0.15]),
        "project": rng.integers(0, len(names.PROJECTS), deals),
        "lost_reason": rng.integers(0, len(names.LOST_REASONS), deals),
        "decision_maker_met": decision_maker_met,
        "steps": steps,
        "stage": stage,
        "times": times,
        "amount": amount,
        "expected": expected,
    }


def _round_amount(euros: np.ndarray) -> np.ndarray:
    """Cents of a quoted amount: EUR 5,000 to 250,000 in steps of 50."""
    return (np.round(np.clip(euros, 5_000, 250_000) / 50).astype(np.int64) * 50) * 100


def _push_into_window(rng: np.random.Generator, lives: dict[str, np.ndarray], window_start: int) -> None:
    """Pull the next step of the soonest-moving open deals into the export window (a month-end push).

    Without this the days between the first and the last export would see a handful of changes; the
    pipeline has to cope with deals that change between two full exports, so make enough of them.
    """
    times, steps = lives["times"], lives["steps"]
    if window_start >= AS_OF_END:
        return
    done = (times <= window_start).sum(axis=1)
    has_next = (times[:, 0] <= window_start) & (done < steps)
    next_time = times[np.arange(done.size), np.minimum(done, MAX_STEPS - 1)]
    in_window = has_next & (next_time <= AS_OF_END)
    wanted = int(np.ceil(WINDOW_CHANGE_SHARE * done.size)) - int(in_window.sum())
    later = np.flatnonzero(has_next & (next_time > AS_OF_END))
    pushed = later[np.argsort(next_time[later], kind="stable")][: max(wanted, 0)]
    window_days = rng.integers(window_start // DAY + 1, AS_OF_DAY + 1, pushed.size)
    shift = window_days * DAY + rng.integers(9 * 3600, 17 * 3600, pushed.size) - next_time[pushed]
    moved = (np.arange(MAX_STEPS) >= done[pushed, None]) & (np.arange(MAX_STEPS) < steps[pushed, None])
    times[pushed] += np.where(moved, shift[:, None], 0)
    lives["expected"][pushed] += np.where(moved, (shift // DAY)[:, None], 0)


def _realise(lives: dict[str, np.ndarray]) -> None:
    """Where each deal stands at AS_OF: its status, final amount, signature time."""
    happened = (lives["times"] <= AS_OF_END).sum(axis=1)
    last = happened - 1
    rows = np.arange(last.size)
    stage = lives["stage"][rows, last]
    lives["happened"] = happened
    lives["status"] = np.select([stage == WON, stage == LOST], [STATUS_WON, STATUS_LOST], OPEN)
    lives["final_amount"] = lives["amount"][rows, last]
    lives["closed_at"] = np.where(lives["status"] != OPEN, lives["times"][rows, last], NEVER)
    lives["signed_at"] = np.where(lives["status"] == STATUS_WON, lives["closed_at"], NEVER)


def _equal_amount_pair(
    rng: np.random.Generator, lives: dict[str, np.ndarray], accounts: pd.DataFrame
) -> tuple[int, int] | None:
    """Make two won deals of one account, same amount and currency, signed in the same month.

    Billing cannot tell their invoices apart by account, amount and date: only the reference can.
    """
    signed_day = lives["signed_at"] // DAY
    old_enough = np.flatnonzero((lives["status"] == STATUS_WON) & (signed_day <= AS_OF_DAY - 120))
    if old_enough.size < 2:
        return None
    month = month_index(signed_day[old_enough])
    ordered = old_enough[np.lexsort((lives["created_at"][old_enough], month))]
    first, second = ordered[:-1], ordered[1:]
    account_created = accounts["created_at"].to_numpy()
    fits = (month_index(signed_day[first]) == month_index(signed_day[second])) & (
        lives["created_at"][second] > account_created[lives["account"][first]]
    )
    candidates = np.flatnonzero(fits)
    if candidates.size == 0:
        return None
    chosen = candidates[rng.integers(0, candidates.size)]
    a, b = int(first[chosen]), int(second[chosen])
    lives["account"][b] = lives["account"][a]
    lives["currency"][b] = lives["currency"][a]
    lives["amount"][b] = lives["final_amount"][a]
    lives["final_amount"][b] = lives["final_amount"][a]
    return a, b


def _assign_referrers(rng: np.random.Generator, lives: dict[str, np.ndarray]) -> None:
    """A referral deal names a customer whose deal was signed before it was created (never its own account)."""
    won = np.flatnonzero(lives["status"] == STATUS_WON)
    won = won[np.argsort(lives["signed_at"][won], kind="stable")]
    signed, won_account = lives["signed_at"][won], lives["account"][won]
    referrer = np.full(lives["account"].size, -1, dtype=np.int64)
    pending = np.flatnonzero(lives["lead_source"] == REFERRAL)
    signed_before = np.searchsorted(signed, lives["created_at"][pending], side="left")
    pending, signed_before = pending[signed_before > 0], signed_before[signed_before > 0]
    for _ in range(3):  # a draw that hits the deal's own account is drawn again
        candidate = won_account[(rng.random(pending.size) * signed_before).astype(np.int64)]
        fine = candidate != lives["account"][pending]
        referrer[pending[fine]] = candidate[fine]
        pending, signed_before = pending[~fine], signed_before[~fine]
    lives["lead_source"][(lives["lead_source"] == REFERRAL) & (referrer < 0)] = WEBSITE
    lives["referrer"] = referrer


def _number_quotes_and_orders(rng: np.random.Generator, lives: dict[str, np.ndarray]) -> None:
    """Quote numbers Q<year>-<sequence> from Proposal on; a customer PO number on ~40% from Verbal Order on."""
    times, steps = lives["times"], lives["steps"]
    quoted = np.flatnonzero((steps >= 4) & (times[:, PROPOSAL] <= AS_OF_END))
    quoted = quoted[np.argsort(times[quoted, PROPOSAL], kind="stable")]
    year = years(times[quoted, PROPOSAL] // DAY)
    lives["quote_year"] = np.full(steps.size, -1, dtype=np.int64)
    lives["quote_seq"] = np.full(steps.size, -1, dtype=np.int64)
    lives["quote_year"][quoted] = year
    lives["quote_seq"][quoted] = np.arange(quoted.size) - np.searchsorted(year, year, side="left") + 1
    lives["quote_from"] = np.where(lives["quote_seq"] > 0, times[:, PROPOSAL], NEVER)

    ordered = (steps == MAX_STEPS) & (times[:, VERBAL] <= AS_OF_END) & (rng.random(steps.size) < 0.4)
    lives["po"] = np.full(steps.size, -1, dtype=np.int64)
    lives["po"][ordered] = rng.choice(100_000_000, int(ordered.sum()), replace=False)
    lives["po_from"] = np.where(ordered, times[:, VERBAL], NEVER)


def _with_duplicates_and_mistakes(
    rng: np.random.Generator, lives: dict[str, np.ndarray], accounts: pd.DataFrame, reps: _Reps
) -> dict[str, np.ndarray]:
    """All deal records: the real deals, ~2% reps' duplicates merged into them, ~1% created by mistake."""
    real = lives["created_at"].size
    # Duplicates: same account, a few days after the original, merged into it some days later.
    candidates = np.flatnonzero(lives["created_at"] <= AS_OF_END - 45 * DAY)
    original = np.sort(rng.choice(candidates, min(candidates.size, max(1, round(0.02 * real))), replace=False))
    dup = original.size
    dup_times = np.full((dup, MAX_STEPS), NEVER, dtype=np.int64)
    dup_times[:, 0] = office_moment(rng, lives["created_at"][original] // DAY + rng.integers(1, 8, dup))
    qualified = rng.random(dup) < 0.3
    dup_times[qualified, 1] = office_moment(
        rng, dup_times[qualified, 0] // DAY + rng.integers(1, 5, int(qualified.sum()))
    )
    last_step = np.where(qualified, dup_times[:, 1], dup_times[:, 0])
    merge_at = office_moment(rng, last_step // DAY + rng.integers(1, 15, dup))
    dup_stage = np.full((dup, MAX_STEPS), -1, dtype=np.int64)
    dup_stage[:, 0] = LEAD
    dup_stage[qualified, 1] = QUALIFIED
    dup_amount = np.where(
        rng.random(dup) < 0.5, lives["amount"][original, 0], (lives["amount"][original, 0] // 100_000 + 1) * 100_000
    )
    same_rep = rng.random(dup) < 0.5
    dup_owner = np.where(same_rep, lives["owner"][original], reps.pick(rng, dup_times[:, 0] // DAY))

    # Created by mistake: a lead on a random existing account, deleted within days.
    mistakes = max(1, round(0.01 * real))
    mistake_created = office_moment(
        rng, growing_days(rng, mistakes, FIRST_DEAL_DAY, AS_OF_DAY - 10), last_day=AS_OF_DAY - 10
    )
    known = np.searchsorted(accounts["created_at"].to_numpy(), mistake_created, side="left")
    mistake_times = np.full((mistakes, MAX_STEPS), NEVER, dtype=np.int64)
    mistake_times[:, 0] = mistake_created
    mistake_stage = np.full((mistakes, MAX_STEPS), -1, dtype=np.int64)
    mistake_stage[:, 0] = LEAD

    def per_record(*parts: np.ndarray) -> np.ndarray:  # real deals, then duplicates, then mistakes
        return np.concatenate(parts)

    def copied(name: str, mistake_values: np.ndarray) -> np.ndarray:
        return per_record(lives[name], lives[name][original], mistake_values)

    expected = np.repeat(lives["expected"][original, :1], MAX_STEPS, axis=1)
    dup_amounts = np.repeat(dup_amount[:, None], MAX_STEPS, axis=1)
    mistake_amount = _round_amount(rng.uniform(5_000, 50_000, mistakes))
    no = np.full(dup + mistakes, -1, dtype=np.int64)
    never = np.full(dup + mistakes, NEVER, dtype=np.int64)
    return {
        "kind": per_record(np.full(real, REAL), np.full(dup, DUPLICATE), np.full(mistakes, MISTAKE)),
        "created_at": per_record(lives["created_at"], dup_times[:, 0], mistake_created),
        "account": copied("account", (rng.random(mistakes) * known).astype(np.int64)),
        "owner": per_record(lives["owner"], dup_owner, reps.pick(rng, mistake_created // DAY)),
        "currency": copied("currency", np.zeros(mistakes, dtype=np.int64)),
        "lead_source": copied("lead_source", rng.integers(1, len(LEAD_SOURCES), mistakes)),
        "referrer": copied("referrer", np.full(mistakes, -1)),
        "project": copied("project", rng.integers(0, len(names.MISTAKE_DEAL_NAMES), mistakes)),
        "name_variant": per_record(
            np.zeros(real, dtype=np.int64), rng.integers(0, 4, dup), np.zeros(mistakes, dtype=np.int64)
        ),
        "lost_reason": copied("lost_reason", np.zeros(mistakes, dtype=np.int64)),
        "decision_maker_met": per_record(lives["decision_maker_met"], np.zeros(dup + mistakes, dtype=bool)),
        "steps": per_record(lives["steps"], np.where(qualified, 2, 1), np.ones(mistakes, dtype=np.int64)),
        "stage": per_record(lives["stage"], dup_stage, mistake_stage),
        "times": per_record(lives["times"], dup_times, mistake_times),
        "amount": per_record(lives["amount"], dup_amounts, np.repeat(mistake_amount[:, None], MAX_STEPS, axis=1)),
        "expected": per_record(
            lives["expected"], expected, np.repeat((mistake_created // DAY + 90)[:, None], MAX_STEPS, axis=1)
        ),
        "happened": per_record(lives["happened"], np.where(qualified, 2, 1), np.ones(mistakes, dtype=np.int64)),
        "status": per_record(lives["status"], np.full(dup + mistakes, OPEN)),
        "final_amount": per_record(lives["final_amount"], dup_amount, mistake_amount),
        "closed_at": per_record(lives["closed_at"], never),
        "signed_at": per_record(lives["signed_at"], never),
        "quote_year": per_record(lives["quote_year"], no),
        "quote_seq": per_record(lives["quote_seq"], no),
        "quote_from": per_record(lives["quote_from"], never),
        "po": per_record(lives["po"], no),
        "po_from": per_record(lives["po_from"], never),
        "merged_into": per_record(np.full(real, -1), original, np.full(mistakes, -1)),
        "merge_at": per_record(np.full(real, NEVER), merge_at, np.full(mistakes, NEVER)),
        "deleted_at": per_record(np.full(real + dup, NEVER), mistake_created + rng.integers(300, 5 * DAY, mistakes)),
    }


def _deal_frames(records: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    per_step = {"stage", "times", "amount", "expected"}
    deals = pd.DataFrame({name: values for name, values in records.items() if name not in per_step})
    deals.insert(0, "rec", np.arange(len(deals)))
    # Stage history: every step that has happened by AS_OF; row-major order = by deal, then by time.
    rec, step = np.nonzero(records["times"] <= AS_OF_END)
    versions = pd.DataFrame(
        {
            "rec": rec,
            "stage": records["stage"][rec, step],
            "amount": records["amount"][rec, step],
            "expected_close": records["expected"][rec, step],
            "changed_at": records["times"][rec, step],
        }
    )
    return deals, versions


def _activities(
    rng: np.random.Generator, records: dict[str, np.ndarray], accounts: pd.DataFrame, contacts: pd.DataFrame
) -> pd.DataFrame:
    """Meetings, calls and e-mails with the deal account's contacts, inside each real deal's life.

    Deals where a decision maker was met before Proposal win more often (WIN_RATE_*): those get a
    meeting with one; the others meet no decision maker before Proposal.
    """
    real = np.flatnonzero(records["kind"] == REAL)
    start = records["created_at"][real]
    end = np.where(records["status"][real] == OPEN, AS_OF_END, records["closed_at"][real])
    # Before Proposal: until the Proposal step, or until the deal closed without reaching it.
    steps = records["steps"][real]
    before_proposal = np.minimum(records["times"][real, np.minimum(PROPOSAL, steps - 1)], AS_OF_END)
    account = records["account"][real]
    per_account = np.bincount(contacts["account"].to_numpy(), minlength=len(accounts))
    first_contact = np.cumsum(per_account) - per_account

    count = 1 + rng.poisson(0.4 + 0.45 * records["happened"][real])
    deal = np.repeat(np.arange(real.size), count)
    at = _office_moment_between(rng, start[deal], end[deal])
    position = (rng.random(deal.size) * per_account[account[deal]]).astype(np.int64)
    contact = first_contact[account[deal]] + position
    roles = contacts["role"].to_numpy()
    hide = (
        ~records["decision_maker_met"][real][deal] & (at < before_proposal[deal]) & (roles[contact] == DECISION_MAKER)
    )
    contact[hide] = first_contact[account[deal[hide]]] + 1  # the champion instead
    kind = rng.choice(3, deal.size, p=[0.3, 0.35, 0.35])

    met = np.flatnonzero(records["decision_maker_met"][real])
    met_at = _office_moment_between(rng, start[met], before_proposal[met])
    deal = np.concatenate([deal, met])
    at = np.concatenate([at, met_at])
    contact = np.concatenate([contact, first_contact[account[met]]])  # position 0: a decision maker
    kind = np.concatenate([kind, np.full(met.size, MEETING)])
    duration = np.select(
        [kind == MEETING, kind == CALL],
        [np.array([30, 45, 60, 90, 120])[rng.integers(0, 5, kind.size)], rng.integers(5, 46, kind.size)],
        rng.integers(2, 16, kind.size),
    )
    order = np.argsort(at, kind="stable")
    return pd.DataFrame(
        {
            "activity": np.arange(order.size),
            "rec": real[deal[order]],
            "contact": contact[order],
            "owner": records["owner"][real][deal[order]],
            "activity_type": kind[order],
            "activity_at": at[order],
            "duration_minutes": duration[order],
        }
    )


def _office_moment_between(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A moment during office hours on a day from start to end, kept inside [start, end]."""
    days = start // DAY + (rng.random(start.size) * (end // DAY - start // DAY + 1)).astype(np.int64)
    return np.clip(office_moment(rng, days), start, end)
