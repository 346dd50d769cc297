"""Write the demo's exports with DuckDB: frames of codes in, CSV files in the layouts of docs/architecture.md out.

Strings are built in SQL (word lists become list-literal macros), formatted once per record, and each
export day then only filters: CRM exports show every record as it stood at the end of their day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb

from dealledger.demo import billing, crm, names
from dealledger.demo.billing import Billing
from dealledger.demo.clock import AS_OF, DAY, day_number, month_number
from dealledger.demo.crm import Crm
from dealledger.ingest.layouts import LAYOUTS_BY_KIND


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_text(value) for value in values) + "]"


def define_macros(con: duckdb.DuckDBPyConnection, stage_names: Sequence[str], deal_digits: int) -> None:
    """Word lookups by index, the ids (deal ids of `deal_digits` digits), and the file formats: ISO timestamps
    and dates, amounts with 2 decimals."""
    words = {
        "stage_name": stage_names,
        "lead_source_name": crm.LEAD_SOURCES,
        "currency_code": crm.CURRENCIES,
        "status_name": crm.STATUSES,
        "role_name": crm.ROLES,
        "activity_type_name": crm.ACTIVITY_TYPES,
        "invoice_type_name": billing.INVOICE_TYPES,
        "first_name": names.FIRST_NAMES,
        "last_name": names.LAST_NAMES,
        "city_name": names.CITIES,
        "industry_name": names.INDUSTRIES,
        "project_name": names.PROJECTS,
        "mistake_name": names.MISTAKE_DEAL_NAMES,
        "lost_reason_text": names.LOST_REASONS,
        "quote_text": names.QUOTE_REFERENCE_TEXTS,
        "free_text": names.FREE_REFERENCE_TEXTS,
        "credit_text": names.CREDIT_REFERENCE_TEXTS,
        "line_text": names.LINE_DESCRIPTIONS,
        "support_line_text": names.SUPPORT_LINE_DESCRIPTIONS,
        "month_name": names.MONTHS_NL,
    }
    for macro, values in words.items():
        con.execute(f"create or replace macro {macro}(i) as ({_sql_list(values)})[i % {len(values)} + 1]")
    for statement in (
        "create or replace macro ts(s) as strftime(make_timestamp(s * 1000000), '%Y-%m-%d %H:%M:%S')",
        "create or replace macro iso_date(d) as strftime(date '1970-01-01' + d::integer, '%Y-%m-%d')",
        # Exact: cents as a decimal times 0.01 is a decimal with 2 decimals, printed as such.
        "create or replace macro money(c) as (c::decimal(18, 0) * 0.01)::varchar",
        "create or replace macro month_text(m) as month_name(m % 12) || ' ' || (1970 + m // 12)::varchar",
        # For e-mail addresses and domains: "Van 't Hof" -> "vanthof", "Zoë" -> "zoe".
        "create or replace macro ascii_word(s) as lower(regexp_replace(strip_accents(s), '[^A-Za-z0-9]', '', 'g'))",
        f"create or replace macro deal_key(rec) as printf('D%0{deal_digits}d', rec + 1)",
        "create or replace macro account_key(account) as printf('A%07d', account + 1)",
        "create or replace macro owner_key(owner) as printf('U%03d', owner + 1)",
        "create or replace macro invoice_key(doc) as printf('INV%07d', doc + 1)",
    ):
        con.execute(statement)


def copy_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """Write `query` as CSV (header, `,`, `"` quoting where needed, empty = NULL); the rows written."""
    target = _sql_text(str(path))
    row = con.execute(f"copy ({query}) to {target} (format csv, header, delimiter ',', quote '\"')").fetchone()
    return int(row[0]) if row else 0


def layout_select(kind: str, expressions: dict[str, str]) -> str:
    """The select list of one export kind, in its layout's column order (the contract)."""
    columns = LAYOUTS_BY_KIND[kind].column_names
    if set(expressions) != set(columns):
        raise ValueError(f"{kind}: expressions {sorted(expressions)} do not match the layout {columns}")
    return ", ".join(f"{expressions[column]} as {column}" for column in columns)


# `<kind>_changes_<YYYYMMDD>.csv`: the names the CRM layout reads as changes exports (layouts/crm.yml).
CHANGES_SUFFIX = "_changes"


def export_name(kind: str, day: date) -> str:
    return f"{kind}_{day:%Y%m%d}.csv"


def load_tables(con: duckdb.DuckDBPyConnection, model: Crm, books: Billing) -> None:
    """The model's frames as tables, with every string column of the exports formatted once."""
    frames = {
        "users_frame": model.users,
        "accounts_frame": model.accounts,
        "contacts_frame": model.contacts,
        "deals_frame": model.deals,
        "versions": model.versions,
        "activities_frame": model.activities,
        "docs_frame": books.docs,
        "lines_frame": books.lines,
    }
    for name, frame in frames.items():
        con.register(f"{name}_view", frame)
        con.execute(f"create or replace table {name} as select * from {name}_view")
        con.unregister(f"{name}_view")
    con.execute(
        """
        create or replace table account_rows as
        select
            a.account,
            a.created_at,
            a.kvk_from,
            account_key(a.account) as account_id,
            a.name as account_name,
            a.kvk::varchar as kvk,
            case when a.vat >= 0 then 'NL' || a.vat::varchar || 'B01' end as vat_number,
            city_name(a.city) as city,
            industry_name(a.industry) as industry,
            case when a.referred_by >= 0 then account_key(a.referred_by) end as referred_by_account_id,
            ts(a.created_at) as created_text
        from accounts_frame as a
        """
    )
    con.execute(
        """
        create or replace table contact_rows as
        select
            c.contact,
            c.created_at,
            c.phone_from,
            printf('CT%07d', c.contact + 1) as contact_id,
            account_key(c.account) as account_id,
            first_name(c.first_name) as first_name,
            last_name(c.last_name) as last_name,
            ascii_word(first_name(c.first_name)) || '.' || ascii_word(last_name(c.last_name))
                || '@' || ascii_word(a.core) || '.nl' as email,
            '+31 6 ' || c.phone::varchar as phone,
            '+31 6 ' || c.new_phone::varchar as new_phone,
            role_name(c.role) as role
        from contacts_frame as c
        join accounts_frame as a on a.account = c.account
        """
    )
    project_account = "project_name(d.project) || ' ' || a.core"
    con.execute(
        f"""
        create or replace table deal_base as
        select
            d.rec,
            d.created_at,
            d.quote_from,
            d.po_from,
            d.merge_at,
            d.deleted_at,
            deal_key(d.rec) as deal_id,
            case d.kind
                when {crm.REAL} then {project_account}
                when {crm.DUPLICATE} then case d.name_variant
                    when 0 then lower({project_account})
                    when 1 then {project_account} || ' (2)'
                    when 2 then project_name(d.project) || '  ' || a.core
                    else {project_account} || ' - nieuw'
                end
                else replace(mistake_name(d.project), '{{c}}', a.core)
            end as deal_name,
            project_name(d.project) as project,
            account_key(d.account) as account_id,
            owner_key(d.owner) as owner_id,
            currency_code(d.currency) as currency,
            ts(d.created_at) as created_text,
            lead_source_name(d.lead_source) as lead_source,
            case when d.referrer >= 0 then account_key(d.referrer) end as referrer_account_id,
            lost_reason_text(d.lost_reason) as lost_reason,
            case when d.quote_seq > 0 then printf('Q%d-%05d', d.quote_year, d.quote_seq) end as quote_number,
            case when d.po >= 0 then printf('PO-45%08d', d.po) end as po_number,
            case when d.merged_into >= 0 then deal_key(d.merged_into) end as merged_into_deal_id
        from deals_frame as d
        join accounts_frame as a on a.account = d.account
        """
    )
    con.execute(
        """
        create or replace table activity_rows as
        select
            a.activity,
            a.activity_at,
            printf('ACT%08d', a.activity + 1) as activity_id,
            deal_key(a.rec) as deal_id,
            printf('CT%07d', a.contact + 1) as contact_id,
            owner_key(a.owner) as owner_id,
            activity_type_name(a.activity_type) as activity_type,
            ts(a.activity_at) as activity_text,
            a.duration_minutes
        from activities_frame as a
        """
    )
    _load_billing_rows(con)


def _load_billing_rows(con: duckdb.DuckDBPyConnection) -> None:
    quote_text = "replace(replace(quote_text(d.template), '{q}', b.quote_number), '{p}', b.project)"
    installment = "case when d.parts > 1 then printf(' termijn %d/%d', d.part + 1, d.parts) else '' end"
    free_text = "replace(replace(free_text(d.template), '{p}', b.project), '{m}', month_text(d.month))"
    credit, support = billing.CREDIT_NOTE, _sql_text(names.SUPPORT_REFERENCE_TEXT)
    con.execute(
        f"""
        create or replace table doc_rows as
        select
            d.doc,
            d.month,
            b.deal_id,
            invoice_key(d.doc) as invoice_id,
            printf('%d-%05d', d.year, d.sequence) as invoice_number,
            invoice_type_name(d.doc_type) as invoice_type,
            'C' || d.customer::varchar as customer_id,
            a.billing_name as customer_name,
            case when a.billing_has_kvk then a.kvk::varchar end as customer_kvk,
            iso_date(d.day) as invoice_date,
            iso_date(d.day + 30) as due_date,
            currency_code(d.currency) as currency,
            money(d.net) as net_amount,
            money(d.vat) as vat_amount,
            money(d.total) as total_amount,
            case
                when d.style = {billing.DEAL_ID} then b.deal_id
                when d.style = {billing.QUOTE} then b.quote_number
                when d.style = {billing.PO} then b.po_number
                when d.style = {billing.QUOTE_TEXT} and d.doc_type = {credit}
                    then replace(credit_text(0), '{{q}}', b.quote_number)
                when d.style = {billing.FREE_TEXT} and d.doc_type = {credit}
                    then replace(credit_text(1), '{{p}}', b.project)
                when d.style = {billing.QUOTE_TEXT} then {quote_text} || {installment}
                when d.style = {billing.FREE_TEXT} then {free_text}
                when d.style = {billing.SUPPORT} then replace({support}, '{{m}}', month_text(d.month - 1))
            end as reference,
            case when t.doc is not null then printf('%d-%05d', t.year, t.sequence) end as corrects_invoice_number
        from docs_frame as d
        join accounts_frame as a on a.account = d.account
        left join deal_base as b on b.rec = d.rec
        left join docs_frame as t on t.doc = d.corrects
        """
    )
    con.execute(
        f"""
        create or replace table line_rows as
        select
            l.doc,
            l.line_number,
            d.month,
            invoice_key(l.doc) as invoice_id,
            case l.kind
                when {billing.DEAL_LINE} then line_text(l.description)
                when {billing.CREDIT_LINE} then 'Creditering ' || lower(line_text(l.description))
                else replace(support_line_text(l.description), '{{m}}', month_text(d.month - 1))
            end as description,
            (l.quantity::decimal(18, 0) * 0.0001)::varchar as quantity,
            money(l.unit_price) as unit_price,
            money(l.line_amount) as line_amount,
            '{billing.VAT_PERCENT}.00' as vat_rate
        from lines_frame as l
        join docs_frame as d on d.doc = l.doc
        """
    )


def write_crm_exports(con: duckdb.DuckDBPyConnection, inbox_dir: Path, export_day: date) -> dict[str, int]:
    """One daily full export: every record that existed at the end of `export_day`, as it was then."""
    return {
        export_name(kind, export_day): copy_csv(con, query, inbox_dir / export_name(kind, export_day))
        for kind, query in _crm_export_queries(export_day).items()
    }


def write_crm_changes_exports(
    con: duckdb.DuckDBPyConnection, inbox_dir: Path, export_day: date, previous_day: date
) -> dict[str, int]:
    """One daily changes export (`<kind>_changes_<day>.csv`): the rows of `export_day`'s full export that
    `previous_day`'s did not hold (new records, and records with any column changed), as a CRM's "modified
    since" export gives them."""
    today, before = _crm_export_queries(export_day), _crm_export_queries(previous_day)
    files = {}
    for kind, query in today.items():
        name = export_name(kind + CHANGES_SUFFIX, export_day)
        changed = f"select * from (({query}) except all ({before[kind]})) order by all"
        files[name] = copy_csv(con, changed, inbox_dir / name)
    return files


def _crm_export_queries(export_day: date) -> dict[str, str]:
    """Per CRM export kind, the query of its full export at the end of `export_day`."""
    cutoff = (day_number(export_day) + 1) * DAY - 1
    state = f"""
        select
            rec,
            arg_max(stage, changed_at) as stage,
            arg_max(amount, changed_at) as amount,
            arg_max(expected_close, changed_at) as expected_close,
            max(changed_at) as changed_at
        from versions
        where changed_at <= {cutoff}
        group by rec
    """
    deal_columns = layout_select(
        "crm_deals",
        {
            "deal_id": "b.deal_id",
            "deal_name": "b.deal_name",
            "account_id": "b.account_id",
            "owner_id": "b.owner_id",
            "stage": "stage_name(s.stage)",
            "amount": "money(s.amount)",
            "currency": "b.currency",
            "expected_close_date": "iso_date(s.expected_close)",
            "created_at": "b.created_text",
            # The CRM's last-modified time: the last stage change, merge or deletion so far.
            "updated_at": f"""ts(greatest(
                s.changed_at,
                case when b.merge_at <= {cutoff} then b.merge_at else 0 end,
                case when b.deleted_at <= {cutoff} then b.deleted_at else 0 end))""",
            "lead_source": "b.lead_source",
            "referrer_account_id": "b.referrer_account_id",
            "lost_reason": f"case when s.stage = {crm.LOST} then b.lost_reason end",
            "quote_number": f"case when b.quote_from <= {cutoff} then b.quote_number end",
            "po_number": f"case when b.po_from <= {cutoff} then b.po_number end",
            "merged_into_deal_id": f"case when b.merge_at <= {cutoff} then b.merged_into_deal_id end",
            "is_deleted": f"b.deleted_at <= {cutoff}",
        },
    )
    history_columns = layout_select(
        "crm_deal_stage_history",
        {
            "deal_id": "b.deal_id",
            "stage": "stage_name(v.stage)",
            "amount": "money(v.amount)",
            "changed_at": "ts(v.changed_at)",
        },
    )
    account_columns = layout_select(
        "crm_accounts",
        {
            "account_id": "account_id",
            "account_name": "account_name",
            "kvk_number": f"case when kvk_from <= {cutoff} then kvk end",
            "vat_number": "vat_number",
            "city": "city",
            "industry": "industry",
            "referred_by_account_id": "referred_by_account_id",
            "created_at": "created_text",
            "updated_at": f"ts(case when kvk_from <= {cutoff} then greatest(kvk_from, created_at) else created_at end)",
        },
    )
    contact_columns = layout_select(
        "crm_contacts",
        {
            "contact_id": "contact_id",
            "account_id": "account_id",
            "first_name": "first_name",
            "last_name": "last_name",
            "email": "email",
            "phone": f"case when phone_from <= {cutoff} then new_phone else phone end",
            "role": "role",
            "updated_at": f"ts(case when phone_from <= {cutoff} then phone_from else created_at end)",
        },
    )
    activity_columns = layout_select(
        "crm_activities",
        {
            "activity_id": "activity_id",
            "deal_id": "deal_id",
            "contact_id": "contact_id",
            "owner_id": "owner_id",
            "activity_type": "activity_type",
            "activity_at": "activity_text",
            "duration_minutes": "duration_minutes",
        },
    )
    user_columns = layout_select(
        "crm_users",
        {
            "owner_id": "owner_key(owner)",
            "full_name": "first_name || ' ' || last_name",
            "email": "ascii_word(first_name) || '.' || ascii_word(last_name) || '@voorbeeldadvies.nl'",
            "team": "team",
            "is_active": "is_active",
        },
    )
    return {
        "crm_deals": f"""
            select {deal_columns}
            from deal_base as b
            join ({state}) as s on s.rec = b.rec
            order by b.rec
        """,
        "crm_deal_stage_history": f"""
            select {history_columns}
            from versions as v
            join deal_base as b on b.rec = v.rec
            where v.changed_at <= {cutoff}
            order by v.rec, v.changed_at
        """,
        "crm_accounts": f"select {account_columns} from account_rows where created_at <= {cutoff} order by account",
        "crm_contacts": f"select {contact_columns} from contact_rows where created_at <= {cutoff} order by contact",
        "crm_activities": f"""
            select {activity_columns} from activity_rows where activity_at <= {cutoff} order by activity
        """,
        "crm_users": f"select {user_columns} from users_frame order by owner",
    }


def write_billing_exports(con: duckdb.DuckDBPyConnection, inbox_dir: Path) -> dict[str, int]:
    """Monthly exports that overlap: the one at the end of month M holds the documents of M-1 and M."""
    invoice_columns = layout_select(
        "billing_invoices", {name: name for name in LAYOUTS_BY_KIND["billing_invoices"].column_names}
    )
    line_columns = layout_select(
        "billing_invoice_lines", {name: name for name in LAYOUTS_BY_KIND["billing_invoice_lines"].column_names}
    )
    first = con.execute("select min(month) from doc_rows").fetchone()
    rows: dict[str, int] = {}
    if first is None or first[0] is None:
        return rows
    for month in range(int(first[0]), month_number(AS_OF) + 1):
        # Exported on the month's last day.
        month_end = date(1970 + (month + 1) // 12, (month + 1) % 12 + 1, 1) - timedelta(days=1)
        months = f"month between {month - 1} and {month}"
        invoices = export_name("billing_invoices", month_end)
        lines = export_name("billing_invoice_lines", month_end)
        rows[invoices] = copy_csv(
            con, f"select {invoice_columns} from doc_rows where {months} order by doc", inbox_dir / invoices
        )
        rows[lines] = copy_csv(
            con,
            f"select {line_columns} from line_rows where {months} order by doc, line_number",
            inbox_dir / lines,
        )
    return rows
