"""Write a validated import batch in one transaction: upsert by source id, then by domain; every row audited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update

from abm_tui.importers.audit import Audit, ImportSummary
from abm_tui.importers.errors import ImportFailed, RowError
from abm_tui.importers.generic import SCHEMA, Batch
from abm_tui.importers.mapping import plain_id
from abm_tui.store import metric_cache
from abm_tui.store.db import insert_columns
from abm_tui.store.models import (
    Account,
    Contact,
    Decision,
    Engagement,
    IntentSignal,
    Opportunity,
    Setting,
    Spend,
    StageChange,
    table,
    utcnow,
)

ACCOUNT_FIELDS = tuple(c for c in SCHEMA["accounts.csv"] if c != "account_id")  # what an account row can set
CONTACT_FIELDS = (
    "account_id",
    "name",
    "title",
    "email",
    "phone",
    "buying_role",
    "role_inferred",
    "hubspot_id",
    "salesforce_id",
)
OPPORTUNITY_FIELDS = tuple(c for c in SCHEMA["opportunities.csv"] if c != "opportunity_id")
# Fields derived from other columns: written when any of those columns is in the file.
DERIVED = {
    "account_id": set(),
    "buying_role": {"buying_role", "title"},
    "role_inferred": {"buying_role", "title"},
}


def apply_batch(
    engine: Engine,
    batch: Batch,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    new_file: bool = False,
) -> ImportSummary:
    """Write `batch` all or nothing; raise ImportFailed with every problem found and write nothing.

    `new_file`: the SQLite file was made for this import (nobody else has it open): it is written
    through a rollback journal, straight into the file, and set back to WAL after (WAL writes every
    page twice, into the log and then into the file: 360 MB at 100,000 accounts).

    Rows that failed to parse are in `batch.errors`; the valid ones are still checked against the
    database (unknown ids) so one run reports every problem. A batch read lazily (see
    `reader.read_inputs`) reads each kind when its turn comes here. With
    `batch.skip_bad_rows` (or a mapping that says so) bad rows are skipped and listed in the audit
    instead; a problem with a whole file still rejects the run.
    """
    summary = ImportSummary(audit=batch.audit, dry_run=dry_run)
    errors: list[RowError] = []  # the store's; the reading's come first (added once all is read)
    written = 0

    def step(kind: str) -> None:  # after each file kind: how many rows are through
        nonlocal written
        written += batch.count(kind)
        if progress:
            progress(written)

    with engine.connect() as conn, _bulk(conn, new_file=new_file):
        trans = conn.begin()
        try:
            accounts = _upsert_accounts(conn, batch, summary)
            rejected_accounts = batch.rejected.get("accounts.csv", set())
            step("accounts.csv")
            # Exports without ids (reports, public data) refer to companies by name.
            for account_id, name in _tuples(conn, "SELECT id, name FROM account ORDER BY id"):
                accounts.setdefault(f"name:{name.strip().lower()}", account_id)
            placer = _Placer(conn, batch, accounts, rejected_accounts, errors)
            batch.ready("contacts.csv")
            contacts = _upsert_keyed(
                conn,
                table(Contact),
                "contact_id",
                _present(CONTACT_FIELDS, batch.columns.get("contacts.csv", set())),
                placer.place(batch.frame("contacts.csv"), by_email=True),
                batch.audit,
            )
            step("contacts.csv")
            batch.ready("opportunities.csv")
            opps = _upsert_keyed(
                conn,
                table(Opportunity),
                "opportunity_id",
                _present(OPPORTUNITY_FIELDS, batch.columns.get("opportunities.csv", set())),
                placer.place(batch.frame("opportunities.csv")),
                batch.audit,
            )
            step("opportunities.csv")
            rejected_contacts = batch.rejected.get("contacts.csv", set())
            _insert_engagements(
                conn, batch, accounts, contacts, rejected_accounts | rejected_contacts, errors
            )
            step("engagements.csv")
            batch.ready("stage_changes.csv")
            rejected_opps = batch.rejected.get("opportunities.csv", set())
            _insert_stage_changes(conn, batch, opps, rejected_opps, errors)
            step("stage_changes.csv")
            _upsert_settings(conn, batch.frame("settings.csv").to_dict("records"), batch.audit)
            step("settings.csv")
            _insert_new(conn, batch, table(Spend), batch.frame("spend.csv"))
            step("spend.csv")
            _insert_new(conn, batch, table(IntentSignal), _place_signals(conn, batch, accounts))
            step("intent_signals.csv")
            batch.finish()
            errors[:0] = batch.errors
            summary.warnings[:0] = batch.warnings
            summary.notes[:0] = batch.notes
            summary.unknown_stages = batch.unknown_stages
            summary.unrecognised = list(batch.unrecognised)
            _skip_bad_rows(batch, errors)
            for e in errors:
                batch.audit.mark(e.file, e.line, "error", e.column, e.reason)
                if e.fatal:  # about the whole file: it has no row of its own in the audit
                    where = "" if e.column == "-" else f"{e.column}: "
                    batch.audit.file_problems.append((e.file, e.line, where + e.reason))
            if errors:
                raise ImportFailed(errors, summary)
            # A warning about a row that was skipped anyway says nothing: the skip is its story.
            summary.warnings = [
                w for w in summary.warnings if batch.audit.status(w.file, w.line) not in ("skipped", "error")
            ]
            for w in summary.warnings:
                batch.audit.note(w.file, w.line, f"{w.column}: {w.reason}")
            if placer.by_email:
                summary.notes.append(
                    f"{placer.by_email:,} contact(s) placed at their company by e-mail domain"
                )
            _report_duplicates(conn, batch, summary)
            _record_facts(conn, demo=batch.demo)
            metric_cache.forget(conn)  # the stored list metrics are recomputed on the next start
            if conn.dialect.name == "postgresql" and not dry_run:
                _analyze(conn)
        except BaseException:
            trans.rollback()
            batch.close()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return summary


@contextmanager
def _bulk(conn: Connection, *, new_file: bool) -> Iterator[None]:
    """SQLite for the block (outside any transaction): no foreign-key lookups, as every reference
    the import writes is an id it read in its own transaction (tested: `foreign_key_check` finds
    nothing after each sample; a lookup per touch was a tenth of the write); a new file written
    through a rollback journal (see `apply_batch`). Then as before."""
    driver = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or driver is None:
        yield
        return
    driver.execute("PRAGMA foreign_keys=OFF")
    if new_file:
        driver.execute("PRAGMA journal_mode=DELETE")
    try:
        yield
    finally:
        if new_file:
            driver.execute("PRAGMA journal_mode=WAL")
        driver.execute("PRAGMA foreign_keys=ON")


def _analyze(conn: Connection) -> None:
    """PostgreSQL's statistics of the tables an import writes, gathered now: its planner knows
    nothing of rows just copied in until autovacuum gets to them, a minute or so later, and guessed
    nine target accounts where 6,667 were (the stage velocity of the first start after importing
    10,000 accounts then took 2.5 s instead of 0.04)."""
    for model in (Account, Contact, Opportunity, Engagement, StageChange, Spend, IntentSignal):
        conn.exec_driver_sql(f'ANALYZE "{table(model).name}"')


def _skip_bad_rows(batch: Batch, errors: list[RowError]) -> None:
    """With --skip-bad-rows (or a mapping's skip_bad_rows) a bad row is skipped and listed, not fatal."""
    keep = []
    for e in errors:
        if batch.rejects(e):
            keep.append(e)
        else:
            batch.audit.mark(e.file, e.line, "skipped", f"bad row ({e.column})", e.reason)
    errors[:] = keep


def _report_duplicates(conn: Connection, batch: Batch, summary: ImportSummary) -> None:
    """Accounts of this import that share a domain with another account: possible duplicates."""
    t = table(Account)
    shared = select(t.c.domain).where(t.c.domain.is_not(None)).group_by(t.c.domain).having(func.count() > 1)
    holders: dict[str, list[str]] = {}
    for r in conn.execute(select(t.c.domain, t.c.source_id, t.c.name).where(t.c.domain.in_(shared))):
        holders.setdefault(r.domain, []).append(r.name)
    if not holders:
        return
    n = 0
    frame = batch.frame("accounts.csv")
    shared_rows = frame[frame["domain"].isin(holders.keys()).to_numpy() & ~frame["_derived"].to_numpy()]
    for row in shared_rows.to_dict("records"):
        names = holders.get(row.get("domain") or "")
        if names:
            others = [x for x in names if x != row["name"]] or names
            batch.audit.note(
                row["_file"],
                row["_line"],
                f"possible duplicate: {row['domain']} is also {', '.join(others[:3])}",
            )
            n += 1
    if n:
        summary.notes.append(
            f"{n:,} account(s) share their domain with another: possible duplicates (see the audit)"
        )


def _present(fields: tuple[str, ...], columns: set[str]) -> tuple[str, ...]:
    """The fields a file has a column for (the key columns are always there)."""
    return tuple(
        f for f in fields if f in columns or (f in DERIVED and (not DERIVED[f] or DERIVED[f] & columns))
    )


class _Placer:
    """Puts contacts and deals at their account: by the id or name they give, a contact also by the
    domain of its e-mail address when that names exactly one account (never a free-mail domain).

    A CRM row that cannot be placed is skipped and counted; in the generic format it is an error.
    """

    def __init__(
        self, conn: Connection, batch: Batch, ids: dict[str, int], rejected: set[str], errors: list[RowError]
    ) -> None:
        self.conn, self.batch, self.ids, self.rejected, self.errors = conn, batch, ids, rejected, errors
        self._domains: dict[str, int | None] | None = None
        self.by_email = 0

    def domains(self) -> dict[str, int | None]:
        """domain → the one account that has it (None when several do)."""
        if self._domains is None:
            t = table(Account)
            self._domains = {}
            for r in self.conn.execute(select(t.c.domain, t.c.id).where(t.c.domain.is_not(None))):
                self._domains[r.domain] = None if r.domain in self._domains else r.id
        return self._domains

    def place(self, frame: pd.DataFrame, *, by_email: bool = False) -> pd.DataFrame:
        """The rows placed, with their account's id in `account_id`; the others skipped or errors."""
        ids = _lookup(frame["account_id"], self.ids).astype(object)
        placed = ~pd.isna(ids)
        for i in np.flatnonzero(~placed):  # rows whose reference is no account's id or name
            ids[i] = self._place_one(frame, int(i), by_email)
            placed[i] = ids[i] is not None
        out = frame[placed].copy()
        out["account_id"] = ids[placed].astype(np.int64)
        return out

    def _place_one(self, frame: pd.DataFrame, i: int, by_email: bool) -> int | None:
        ref, file, line = frame["account_id"].iat[i], frame["_file"].iat[i], int(frame["_line"].iat[i])
        audit = self.batch.audit
        lenient = file in self.batch.lenient
        if ref and ref in self.rejected:
            audit.mark(file, line, "skipped", "its company's row is bad", plain_id(ref))
            return None
        email = frame["email"].iat[i] if "email" in frame else None
        if not ref and by_email and email:
            domain = email.rpartition("@")[2].strip().lower()
            if domain and domain not in free_mail_domains():
                account = self.domains().get(domain)
                if account is not None:
                    audit.note(file, line, f"company found by e-mail domain {domain}")
                    self.by_email += 1
                    return account
        if ref and not lenient:
            column = self.batch.column(file, "account_id")
            self.errors.append(RowError(file, line, column, f"unknown account {ref!r}"))
        elif ref:
            audit.mark(
                file, line, "skipped", "its company is not in this import or the database", plain_id(ref)
            )
        else:
            audit.mark(file, line, "skipped", "no company")
        return None


@cache
def free_mail_domains() -> frozenset[str]:
    """Mail domains anyone can have: a contact's address there says nothing about its company."""
    text = (files("abm_tui.importers") / "free_mail_domains.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _upsert_accounts(conn: Connection, batch: Batch, summary: ImportSummary) -> dict[str, int]:
    """Upsert by source id, then by domain when exactly one account has it. Only the columns the
    file has are updated; companies only named by deals are created when they are not known."""
    frame = batch.frame("accounts.csv")
    columns = batch.columns.get("accounts.csv", set())
    audit = batch.audit
    t = table(Account)
    fields = tuple(f for f in ACCOUNT_FIELDS if f in columns or (f == "is_target" and "tier" in columns))
    existing = {r.id: r for r in conn.execute(select(t))}
    d = table(Decision)
    decided = set(conn.execute(select(d.c.account_id).where(d.c.kind.in_(("retier", "target")))).scalars())
    by_source = {r.source_id: r.id for r in existing.values()}
    refs, domains = frame["account_id"].to_numpy(), frame["domain"].to_numpy()
    derived, files, lines = frame["_derived"].to_numpy(), frame["_file"].to_numpy(), frame["_line"].to_numpy()
    matched = {a: by_source[a] for a in refs if a in by_source}
    # A new id with a domain that exactly one other account has, and no other row of the import: the
    # same company under a new id (a second CRM, a re-created record).
    holders = Counter(r.domain for r in existing.values() if r.domain)
    unmatched_domains = Counter(
        dom
        for a, dom, der in zip(refs, domains, derived, strict=True)
        if dom and a not in matched and not der
    )
    matched_ids = set(matched.values())
    owner = {
        r.domain: r.id
        for r in existing.values()
        if r.domain and holders[r.domain] == 1 and r.id not in matched_ids
    }
    created: list[int] = []  # positions of the rows to insert
    updates = []
    now = utcnow()
    for i, (ref, domain, from_deal) in enumerate(zip(refs, domains, derived, strict=True)):
        file, line = files[i], int(lines[i])
        target_id = matched.get(ref)
        if from_deal and (target_id is not None or ref in by_source):
            continue  # a company a deal names is created only when nobody knows it yet
        merged = False
        if target_id is None and domain and unmatched_domains[domain] == 1 and domain in owner:
            target_id = owner.pop(domain)
            merged = True
        if target_id is None:
            created.append(i)
            by_source[ref] = -1
            if from_deal:
                audit.derived[(file, "companies created from the deals' Associated Company")] += 1
            else:
                audit.mark(file, line, "created")
            continue
        by_source[ref] = target_id
        old = existing[target_id]
        data = {f: frame[f].iat[i] for f in fields}
        if target_id in decided and ("tier" in data or "is_target" in data):
            # The review's decisions win over a CRM file that has not caught up with them yet.
            if (data.get("tier", old.tier), data.get("is_target", old.is_target)) != (
                old.tier,
                old.is_target,
            ):
                warning = RowError(
                    file,
                    line,
                    batch.column(file, "tier"),
                    f"kept Tier {old.tier or '–'} as decided in abm-tui (the file says "
                    f"{'Tier ' + str(data.get('tier')) if data.get('tier') else 'no tier'})",
                )
                summary.warnings.append(warning)
                audit.note(file, line, warning.reason)
            data.pop("tier", None)
            data.pop("is_target", None)
        if merged:
            audit.mark(file, line, "merged", "same domain as an account already known", old.source_id)
        if all(getattr(old, f) == value for f, value in data.items()):
            audit.mark(file, line, "unchanged")
            continue
        updates.append({**data, "_id": target_id, "updated_at": now, "version": old.version + 1})
        audit.mark(file, line, "updated")
    for upd in updates:  # one statement per row: rows may update different columns
        conn.execute(update(t).where(t.c.id == upd.pop("_id")).values(**upd))
    new = frame.iloc[created]
    n = len(new)
    insert_columns(
        conn,
        t,
        {
            **{f: new[f] for f in ACCOUNT_FIELDS},
            "source_id": new["account_id"],
            "created_at": [now] * n,
            "updated_at": [now] * n,
            "version": [1] * n,
        },
    )
    ids = _ids(conn, t)
    # Ids of this import that matched another account by domain refer to that account.
    return {**{k: v for k, v in by_source.items() if v != -1}, **ids}


def _mark(audit: Audit, frame: pd.DataFrame, status: str) -> None:
    """Every row of `frame` (a part of a batch's frame) has this status."""
    for file, lines in frame.groupby("_file", sort=False)["_line"]:
        audit.mark_many(str(file), lines.to_numpy(), status)


def _upsert_keyed(
    conn: Connection,
    t: Table,
    key: str,
    fields: tuple[str, ...],
    frame: pd.DataFrame,
    audit: Audit,
) -> dict[str, int]:
    cols = [t.c.id, t.c.source_id, *(t.c[f] for f in fields)]
    existing = {r.source_id: r for r in conn.execute(select(*cols))}
    known = frame[key].isin(existing.keys()).to_numpy()
    updates = []
    for i in np.flatnonzero(known):
        file, line = frame["_file"].iat[i], int(frame["_line"].iat[i])
        data = {f: frame[f].iat[i] for f in fields}
        old = existing[frame[key].iat[i]]
        if all(getattr(old, f) == data[f] for f in fields):
            audit.mark(file, line, "unchanged")
        else:
            updates.append({**{f: _plain(v) for f, v in data.items()}, "_id": old.id})
            audit.mark(file, line, "updated")
    if updates:
        conn.execute(update(t).where(t.c.id == bindparam("_id")), updates)
    new = frame[~known]
    insert_columns(conn, t, {**{f: new[f] for f in fields}, "source_id": new[key]})
    _mark(audit, new, "created")
    return _ids(conn, t)


def _ids(conn: Connection, t: Table) -> dict[str, int]:
    """source id → id of every row of the table (plain tuples: 450,000 rows took a second as Rows)."""
    return dict(_tuples(conn, f"SELECT source_id, id FROM {t.name}"))


def _tuples(conn: Connection, sql: str) -> Sequence[Any]:
    """A query's rows as the driver gives them (SQLAlchemy's Rows cost a second per 500,000)."""
    cursor = conn.exec_driver_sql(sql).cursor
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _source_keys(conn: Connection, t: Table) -> set[str]:
    """The content keys of a table's rows (those an import of the same rows finds unchanged)."""
    return {key for (key,) in _tuples(conn, f"SELECT source_key FROM {t.name}")}


def _lookup(values: pd.Series | np.ndarray, ids: dict[Any, int]) -> np.ndarray:
    """Each value's id (NaN where it has none), as floats: one pass of dict lookups (`Series.map`
    first makes the dict a Series: 300,000 contacts took a quarter of a second each time)."""
    get = ids.get
    return np.fromiter((get(v, np.nan) for v in values.tolist()), dtype=np.float64, count=len(values))


def _ids_or_none(values: np.ndarray) -> np.ndarray:
    """Database ids as Python ints, None where there is none."""
    out = np.full(len(values), None, dtype=object)
    known = ~pd.isna(values)
    out[known] = values[known].astype(np.int64).astype(object)
    return out


def _plain(value: Any) -> Any:
    """A Python value for a driver (a frame's ids are numpy integers)."""
    return value.item() if isinstance(value, np.generic) else value


def _insert_engagements(
    conn: Connection,
    batch: Batch,
    accounts: dict[str, int],
    contacts: dict[str, int],
    rejected: set[str],
    errors: list[RowError],
) -> None:
    frame = batch.frame("engagements.csv")
    if not len(frame):
        return
    t = table(Engagement)
    contact_account = dict(_tuples(conn, "SELECT id, account_id FROM contact"))
    account_ids = _lookup(frame["account_id"], accounts)
    refs = frame["contact_id"].to_numpy()
    contact_ids = _lookup(frame["contact_id"], contacts)
    owners = _lookup(contact_ids, contact_account)
    has_ref = np.fromiter((bool(r) for r in refs), dtype=bool, count=len(refs))
    good = ~pd.isna(account_ids) & (~has_ref | (~pd.isna(contact_ids) & (owners == account_ids)))
    audit = batch.audit
    for i in np.flatnonzero(~good):  # the same checks, one row at a time, for the rows that fail one
        file, line, ref = frame["_file"].iat[i], int(frame["_line"].iat[i]), frame["account_id"].iat[i]
        if pd.isna(account_ids[i]) and ref in rejected:
            audit.mark(file, line, "skipped", "its company's row is bad", ref)
        elif pd.isna(account_ids[i]):
            column = batch.column(file, "account_id")
            errors.append(RowError(file, line, column, f"unknown account {ref!r}"))
        elif pd.isna(contact_ids[i]) and refs[i] in rejected:
            audit.mark(file, line, "skipped", "its contact's row is bad", refs[i])
        elif pd.isna(contact_ids[i]):
            column = batch.column(file, "contact_id")
            errors.append(RowError(file, line, column, f"unknown contact {refs[i]!r}"))
        else:
            column = batch.column(file, "contact_id")
            errors.append(RowError(file, line, column, f"contact {refs[i]!r} belongs to another account"))
    known = _source_keys(conn, t)
    unchanged = good & frame["source_key"].isin(known).to_numpy()
    _mark(audit, frame[unchanged], "unchanged")
    new = good & ~unchanged
    rows = frame[new]
    insert_columns(
        conn,
        t,
        {
            "source_key": rows["source_key"],
            "account_id": account_ids[new].astype(np.int64),
            "contact_id": _ids_or_none(contact_ids[new]),
            "occurred_at": rows["occurred_at"],
            "channel": rows["channel"],
            "intent": rows["intent"],
            "description": rows["description"],
        },
    )
    _mark(audit, rows, "created")


def _insert_new(conn: Connection, batch: Batch, t: Table, frame: pd.DataFrame) -> None:
    """Rows keyed by their content (`source_key`): the new ones are inserted, the known ones unchanged."""
    if not len(frame):
        return
    known = _source_keys(conn, t)
    unchanged = frame["source_key"].isin(known).to_numpy()
    _mark(batch.audit, frame[unchanged], "unchanged")
    new = frame[~unchanged]
    insert_columns(conn, t, {c.name: new[c.name] for c in t.columns if c.name != "id"})
    _mark(batch.audit, new, "created")


def _place_signals(conn: Connection, batch: Batch, accounts: dict[str, int]) -> pd.DataFrame:
    """Intent signals with their account (by id, else by domain); those matching none are skipped."""
    frame = batch.frame("intent_signals.csv")
    if not len(frame):
        return frame
    from abm_tui.metrics.intent import place_signals

    a = table(Account).c
    domains = dict(conn.execute(select(a.id, a.domain).where(a.domain.is_not(None))).all())
    ids = {k: v for k, v in accounts.items() if not k.startswith("name:")}
    placed = place_signals(frame[["account_id", "domain"]], ids, pd.Series(domains, dtype="object"))
    missing = pd.isna(placed).to_numpy()
    for i in np.flatnonzero(missing):
        ref = frame["account_id"].iat[i] or frame["domain"].iat[i]
        line = int(frame["_line"].iat[i])
        batch.audit.mark(frame["_file"].iat[i], line, "skipped", "no account has this id or domain", ref)
    out = frame[~missing].copy()
    out["account_id"] = placed[~missing].to_numpy().astype(np.int64)
    return out


def _insert_stage_changes(
    conn: Connection,
    batch: Batch,
    opps: dict[str, int],
    rejected: set[str],
    errors: list[RowError],
) -> None:
    frame = batch.frame("stage_changes.csv")
    if not len(frame):
        return
    t = table(StageChange)
    audit = batch.audit
    opp_ids = _lookup(frame["opportunity_id"], opps)
    missing = pd.isna(opp_ids)
    for i in np.flatnonzero(missing):
        file, line, ref = frame["_file"].iat[i], int(frame["_line"].iat[i]), frame["opportunity_id"].iat[i]
        if frame["_derived"].iat[i]:  # the history of a deal that was itself skipped
            continue
        if ref in rejected:
            audit.mark(file, line, "skipped", "its deal's row is bad", plain_id(ref))
        elif file in batch.lenient:
            audit.mark(file, line, "skipped", "its deal is not in this import or the database", plain_id(ref))
        else:
            column = batch.column(file, "opportunity_id")
            errors.append(RowError(file, line, column, f"unknown opportunity {ref!r}"))
    rows = frame[~missing].assign(opportunity_id=opp_ids[~missing].astype(np.int64))
    keys = rows[["opportunity_id", "stage", "entered_at"]]
    repeated = keys.duplicated().to_numpy()
    known = {tuple(r) for r in conn.execute(select(t.c.opportunity_id, t.c.stage, t.c.entered_at))}
    if known:
        repeated = repeated | np.fromiter(
            (k in known for k in keys.itertuples(index=False, name=None)), dtype=bool, count=len(keys)
        )
    derived = rows["_derived"].to_numpy()
    _mark(audit, rows[repeated & ~derived], "unchanged")
    new = rows[~repeated]
    insert_columns(conn, t, {c: new[c] for c in ("opportunity_id", "stage", "entered_at")})
    _mark(audit, new[~new["_derived"].to_numpy()], "created")
    for file, n in new[new["_derived"].to_numpy()].groupby("_file", sort=False).size().items():
        audit.derived[(str(file), 'stage changes from its "Date entered" columns')] += int(n)


def _upsert_settings(conn: Connection, rows: list[dict[str, Any]], audit: Audit) -> None:
    t = table(Setting)
    existing = dict(conn.execute(select(t.c.key, t.c.value)).all())
    for row in rows:
        if row["key"] not in existing:
            conn.execute(insert(t).values(key=row["key"], value=row["value"]))
            audit.mark(row["_file"], row["_line"], "created")
        elif existing[row["key"]] != row["value"]:
            conn.execute(update(t).where(t.c.key == row["key"]).values(value=row["value"]))
            audit.mark(row["_file"], row["_line"], "updated")
        else:
            audit.mark(row["_file"], row["_line"], "unchanged")


def _record_facts(conn: Connection, *, demo: bool) -> None:
    """What the screens need to know about the data as a whole, kept as `data.…` settings so a start
    reads them with the other settings: the newest activity (the as-of date of an old export),
    whether there are engagements at all, the deals' currencies, and whether this is the demo."""
    e, o, sc = table(Engagement), table(Opportunity), table(StageChange)
    dates = [
        conn.execute(select(func.max(e.c.occurred_at))).scalar(),
        conn.execute(select(func.max(o.c.created_at))).scalar(),
        conn.execute(select(func.max(o.c.close_date)).where(o.c.outcome != "open")).scalar(),
        conn.execute(select(func.max(sc.c.entered_at))).scalar(),
    ]
    newest = max((date.fromisoformat(str(d)[:10]) for d in dates if d is not None), default=None)
    has_engagement = conn.execute(select(e.c.id).limit(1)).first() is not None
    code = func.coalesce(func.upper(func.trim(o.c.currency)), "")  # "": deals without a currency
    currencies = sorted(
        conn.execute(select(code, func.count()).group_by(code)).all(), key=lambda r: (-r[1], r[0])
    )
    facts = {
        metric_cache.NEWEST_ACTIVITY: newest.isoformat() if newest else None,
        "data.engagements": "true" if has_engagement else "false",
        "data.currencies": ",".join(f"{c}:{n}" for c, n in currencies) or None,
        "data.demo": "true" if demo else None,
    }
    t = table(Setting)
    conn.execute(t.delete().where(t.c.key.in_(list(facts))))
    rows = [{"key": k, "value": v} for k, v in facts.items() if v is not None]
    if rows:
        conn.execute(insert(t), rows)
