"""Write a validated import batch in one transaction: upsert by source id, then by domain."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, update

from abm_tui.importers.errors import ImportFailed, RowError
from abm_tui.importers.generic import Batch
from abm_tui.store import metric_cache
from abm_tui.store.db import insert_many
from abm_tui.store.models import (
    Account,
    Contact,
    Decision,
    Engagement,
    Opportunity,
    Setting,
    StageChange,
    utcnow,
)

ACCOUNT_FIELDS = (
    "name", "domain", "industry", "employees", "annual_revenue", "region", "owner_sales",
    "owner_marketing", "is_target", "tier", "icp_fit", "churned_at", "status", "dropped_reason",
    "hubspot_id", "salesforce_id",
)  # fmt: skip
CONTACT_FIELDS = (
    "account_id",
    "name",
    "title",
    "email",
    "buying_role",
    "role_inferred",
    "hubspot_id",
    "salesforce_id",
)
OPPORTUNITY_FIELDS = (
    "account_id", "name", "amount", "currency", "stage", "created_at", "close_date", "outcome", "source",
    "hubspot_id", "salesforce_id",
)  # fmt: skip
# Fields derived from other columns: written when any of those columns is in the file.
DERIVED = {
    "account_id": set(),
    "buying_role": {"buying_role", "title"},
    "role_inferred": {"buying_role", "title"},
}


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do), per file."""

    counts: dict[str, Counter] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def add(self, file: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(file, Counter())[what] += n

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else ""
        out = []
        for file, c in self.counts.items():
            parts = [f"{c[k]} {k}" for k in ("created", "updated", "unchanged") if c[k]]
            out.append(
                f"{file}: {', '.join(parts) or 'nothing'}{' (' + verb + ')' if verb and parts else ''}"
            )
        return out


def _t(model: Any) -> Table:
    return model.__table__


def apply_batch(
    engine: Engine, batch: Batch, *, dry_run: bool = False, progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Write `batch` all or nothing; raise ImportFailed with every problem found and write nothing.

    Rows that failed to parse are already in `batch.errors`; the valid ones are still checked
    against the database (unknown ids, taken domains) so one run reports every problem.
    """
    summary = ImportSummary(warnings=list(batch.warnings), dry_run=dry_run)
    errors: list[RowError] = list(batch.errors)
    rejected_accounts = batch.rejected.get("accounts.csv", set())
    rejected_opps = batch.rejected.get("opportunities.csv", set())
    written = 0

    def step(kind: str) -> None:  # after each file kind: how many rows are through
        nonlocal written
        written += len(batch.rows.get(kind, []))
        if progress:
            progress(written)

    with engine.connect() as conn:
        trans = conn.begin()
        try:
            accounts = _upsert_accounts(
                conn,
                batch.rows.get("accounts.csv", []),
                batch.columns.get("accounts.csv", set()),
                summary,
                errors,
            )
            step("accounts.csv")
            # Exports without ids (reports, public data) refer to companies by name.
            for r in conn.execute(select(_t(Account).c.id, _t(Account).c.name)):
                accounts.setdefault(f"name:{r.name.strip().lower()}", r.id)
            rows = batch.rows.get
            contacts = _upsert_keyed(
                conn, _t(Contact), "contacts.csv", "contact_id",
                _present(CONTACT_FIELDS, batch.columns.get("contacts.csv", set())),
                _resolve(rows("contacts.csv", []), "account_id", accounts, rejected_accounts, "contacts.csv", errors),
                summary,
            )  # fmt: skip
            step("contacts.csv")
            opps = _upsert_keyed(
                conn, _t(Opportunity), "opportunities.csv", "opportunity_id",
                _present(OPPORTUNITY_FIELDS, batch.columns.get("opportunities.csv", set())),
                _resolve(rows("opportunities.csv", []), "account_id", accounts, rejected_accounts,
                         "opportunities.csv", errors),
                summary,
            )  # fmt: skip
            step("opportunities.csv")
            rejected_contacts = batch.rejected.get("contacts.csv", set())
            _insert_engagements(conn, rows("engagements.csv", []), accounts, contacts,
                                rejected_accounts | rejected_contacts, summary, errors)  # fmt: skip
            step("engagements.csv")
            _insert_stage_changes(conn, rows("stage_changes.csv", []), opps, rejected_opps, summary, errors)
            _upsert_settings(conn, batch.rows.get("settings.csv", []), summary)
            step("stage_changes.csv")
            if errors:
                raise ImportFailed(errors)
            metric_cache.forget(conn)  # the stored list metrics are recomputed on the next start
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return summary


def _present(fields: tuple[str, ...], columns: set[str]) -> tuple[str, ...]:
    """The fields a file has a column for (the key columns are always there)."""
    return tuple(
        f for f in fields if f in columns or (f in DERIVED and (not DERIVED[f] or DERIVED[f] & columns))
    )


def _resolve(
    rows: list[dict[str, Any]],
    col: str,
    ids: dict[str, int],
    rejected: set[str],
    file: str,
    errors: list[RowError],
) -> list[dict[str, Any]]:
    """Replace the source id in `col` by the database id; unknown ids are errors.

    A reference to a row that was itself rejected is skipped quietly: its own error says why.
    """
    out = []
    for row in rows:
        if row[col] not in ids:
            if row[col] not in rejected:
                errors.append(RowError(file, row["_line"], col, f"unknown account {row[col]!r}"))
            continue
        out.append({**row, col: ids[row[col]]})
    return out


def _upsert_accounts(
    conn: Connection,
    rows: list[dict[str, Any]],
    columns: set[str],
    summary: ImportSummary,
    errors: list[RowError],
) -> dict[str, int]:
    """Upsert by source id, then by domain. Only the columns the file has are updated."""
    t = _t(Account)
    fields = tuple(f for f in ACCOUNT_FIELDS if f in columns or (f == "is_target" and "tier" in columns))
    existing = {r.id: r for r in conn.execute(select(t))}
    d = Decision.__table__
    decided = set(conn.execute(select(d.c.account_id).where(d.c.kind.in_(("retier", "target")))).scalars())
    by_source = {r.source_id: r.id for r in existing.values()}
    matched = {
        row["account_id"]: by_source[row["account_id"]] for row in rows if row["account_id"] in by_source
    }
    # Who owns each domain once this file is applied: accounts the file does not mention keep theirs.
    owner = {r.domain: r.id for r in existing.values() if r.domain and r.id not in matched.values()}
    in_file: dict[str, int] = {}
    for row in rows:
        if row["domain"] and row["account_id"] in matched:
            in_file.setdefault(row["domain"], row["_line"])
    inserts, updates = [], []
    now = utcnow()
    for row in rows:
        domain, line = row["domain"], row["_line"]
        target_id = matched.get(row["account_id"])
        if domain and target_id is None:
            if in_file.get(domain, line) != line:
                errors.append(
                    RowError("accounts.csv", line, "domain", f"{domain} is also on line {in_file[domain]}")
                )
                continue
            in_file[domain] = line
            target_id = owner.pop(domain, None)  # upsert by domain: a known company under a new id
        elif domain and domain in owner:
            other = existing[owner[domain]]
            errors.append(
                RowError("accounts.csv", line, "domain", f"{domain} belongs to account {other.source_id!r}")
            )
            continue
        elif domain and in_file.get(domain) != line:
            errors.append(
                RowError("accounts.csv", line, "domain", f"{domain} is also on line {in_file[domain]}")
            )
            continue
        if target_id is None:
            data = {f: row[f] for f in ACCOUNT_FIELDS}
            inserts.append(
                {**data, "source_id": row["account_id"], "created_at": now, "updated_at": now, "version": 1}
            )
            summary.add("accounts.csv", "created")
            continue
        by_source[row["account_id"]] = target_id
        old = existing[target_id]
        data = {f: row[f] for f in fields}
        if target_id in decided and ("tier" in data or "is_target" in data):
            # The review's decisions win over a CRM file that has not caught up with them yet.
            if (data.get("tier", old.tier), data.get("is_target", old.is_target)) != (
                old.tier,
                old.is_target,
            ):
                summary.warnings.append(
                    RowError("accounts.csv", line, "tier",
                             f"kept Tier {old.tier or '–'} as decided in abm-tui (the file says "
                             f"{'Tier ' + str(data.get('tier')) if data.get('tier') else 'no tier'})")
                )  # fmt: skip
            data.pop("tier", None)
            data.pop("is_target", None)
        if all(getattr(old, f) == value for f, value in data.items()):
            summary.add("accounts.csv", "unchanged")
            continue
        updates.append({**data, "_id": target_id, "updated_at": now, "version": old.version + 1})
        summary.add("accounts.csv", "updated")
    moving = [u["_id"] for u in updates if "domain" in u and u["domain"] != existing[u["_id"]].domain]
    if moving:  # release moving domains first, so a swap between two accounts never trips the unique index
        conn.execute(update(t).where(t.c.id.in_(moving)).values(domain=None))
    if updates:
        for upd in updates:  # one statement per row: rows may update different columns
            conn.execute(update(t).where(t.c.id == upd.pop("_id")).values(**upd))
    if inserts:
        insert_many(conn, t, inserts)
        for r in conn.execute(select(t.c.source_id, t.c.id)):
            by_source.setdefault(r.source_id, r.id)
    return by_source


def _upsert_keyed(
    conn: Connection,
    t: Table,
    file: str,
    key: str,
    fields: tuple[str, ...],
    rows: list[dict[str, Any]],
    summary: ImportSummary,
    extra: Any = None,
) -> dict[str, int]:
    cols = [t.c.id, t.c.source_id, *(t.c[f] for f in fields)]
    existing = {r.source_id: r for r in conn.execute(select(*cols))}
    inserts, updates = [], []
    for row in rows:
        data = {f: row[f] for f in fields}
        if extra:
            data.update(extra(row))
        old = existing.get(row[key])
        if old is None:
            inserts.append({**data, "source_id": row[key]})
            summary.add(file, "created")
        elif all(getattr(old, f) == data[f] for f in fields):
            summary.add(file, "unchanged")
        else:
            updates.append({**data, "_id": old.id})
            summary.add(file, "updated")
    if updates:
        conn.execute(update(t).where(t.c.id == bindparam("_id")), updates)
    if inserts:
        insert_many(conn, t, inserts)
    return {r.source_id: r.id for r in conn.execute(select(t.c.source_id, t.c.id))}


def _insert_engagements(
    conn: Connection,
    rows: list[dict[str, Any]],
    accounts: dict[str, int],
    contacts: dict[str, int],
    rejected: set[str],
    summary: ImportSummary,
    errors: list[RowError],
) -> None:
    if not rows:
        return
    t = _t(Engagement)
    contact_account = dict(conn.execute(select(_t(Contact).c.id, _t(Contact).c.account_id)).all())
    known = set(conn.execute(select(t.c.source_key)).scalars())
    inserts = []
    for row in rows:
        account_id = accounts.get(row["account_id"])
        if account_id is None and row["account_id"] in rejected:
            continue
        if account_id is None:
            errors.append(
                RowError(
                    "engagements.csv", row["_line"], "account_id", f"unknown account {row['account_id']!r}"
                )
            )
            continue
        contact_id = None
        if row["contact_id"]:
            contact_id = contacts.get(row["contact_id"])
            if contact_id is None and row["contact_id"] in rejected:
                continue
            if contact_id is None:
                errors.append(
                    RowError(
                        "engagements.csv",
                        row["_line"],
                        "contact_id",
                        f"unknown contact {row['contact_id']!r}",
                    )
                )
                continue
            if contact_account.get(contact_id) != account_id:
                errors.append(
                    RowError("engagements.csv", row["_line"], "contact_id",
                             f"contact {row['contact_id']!r} belongs to another account")
                )  # fmt: skip
                continue
        if row["source_key"] in known:
            summary.add("engagements.csv", "unchanged")
            continue
        inserts.append(
            {
                "source_key": row["source_key"],
                "account_id": account_id,
                "contact_id": contact_id,
                "occurred_at": row["occurred_at"],
                "channel": row["channel"],
                "intent": row["intent"],
                "description": row["description"],
            }
        )
        summary.add("engagements.csv", "created")
    if inserts:
        insert_many(conn, t, inserts)


def _insert_stage_changes(
    conn: Connection,
    rows: list[dict[str, Any]],
    opps: dict[str, int],
    rejected: set[str],
    summary: ImportSummary,
    errors: list[RowError],
) -> None:
    if not rows:
        return
    t = _t(StageChange)
    known = set(conn.execute(select(t.c.opportunity_id, t.c.stage, t.c.entered_at)).all())
    inserts = []
    for row in rows:
        opp_id = opps.get(row["opportunity_id"])
        if opp_id is None and row["opportunity_id"] in rejected:
            continue
        if opp_id is None:
            errors.append(
                RowError("stage_changes.csv", row["_line"], "opportunity_id",
                         f"unknown opportunity {row['opportunity_id']!r}")
            )  # fmt: skip
            continue
        key = (opp_id, row["stage"], row["entered_at"])
        if key in known:
            summary.add("stage_changes.csv", "unchanged")
            continue
        known.add(key)
        inserts.append({"opportunity_id": opp_id, "stage": row["stage"], "entered_at": row["entered_at"]})
        summary.add("stage_changes.csv", "created")
    if inserts:
        insert_many(conn, t, inserts)


def _upsert_settings(conn: Connection, rows: list[dict[str, Any]], summary: ImportSummary) -> None:
    t = _t(Setting)
    existing = dict(conn.execute(select(t.c.key, t.c.value)).all())
    for row in rows:
        if row["key"] not in existing:
            conn.execute(insert(t).values(key=row["key"], value=row["value"]))
            summary.add("settings.csv", "created")
        elif existing[row["key"]] != row["value"]:
            conn.execute(update(t).where(t.c.key == row["key"]).values(value=row["value"]))
            summary.add("settings.csv", "updated")
        else:
            summary.add("settings.csv", "unchanged")
