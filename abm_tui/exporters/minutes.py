"""Meeting minutes in Markdown: what was decided, by whom, and what happens next."""

from __future__ import annotations

import textwrap
from collections import Counter

from abm_tui.domain import local_time
from abm_tui.store.models import Decision, FollowUp, Meeting

WIDTH = 80  # the minutes read in an 80-column terminal as well as in a Markdown viewer


def _fold(line: str) -> str:
    """A long list item continues on lines indented under its text (Markdown reads them as one)."""
    if not line.startswith("- ") or len(line) <= WIDTH:
        return line
    return textwrap.fill(line, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def net_decisions(decisions: list[Decision]) -> tuple[list[Decision], int]:
    """Decisions that still stand: an undo and the decision it undoes cancel out."""
    undone = {d.undoes_id for d in decisions if d.undoes_id}
    kept = [d for d in decisions if d.undoes_id is None and d.id not in undone]
    return kept, len(undone)


def minutes_markdown(
    meeting: Meeting,
    decisions: list[Decision],
    names: dict[int, str],
    follow_ups: list[FollowUp],
    skipped: list[str],
    warnings: list[str] | None = None,
    *,
    headline: list[str] | None = None,
    states: dict[int, str] | None = None,
    done_follow_ups: list[FollowUp] | None = None,
    overdue_follow_ups: list[FollowUp] | None = None,
) -> str:
    """The minutes; `states`: each retiered account as the meeting left it; the follow-ups of earlier
    meetings done while it ran and those overdue on its day."""
    start = local_time(meeting.started_at)
    end = local_time(meeting.ended_at) if meeting.ended_at else None
    kept, corrected = net_decisions(decisions)
    kinds = Counter(d.kind for d in kept)
    name = lambda d: _cell(names.get(d.account_id, f"account {d.account_id}"))  # noqa: E731

    lines = [f"# ABM review, {start:%A %d %B %Y}", ""]
    # Minutes between the clock times shown (19:57–19:59 reads "2 min", whatever the seconds were).
    minutes = lambda t: t.hour * 60 + t.minute  # noqa: E731
    when = f"{start:%H:%M}" + (
        f"–{end:%H:%M} ({(end.date() - start.date()).days * 1440 + minutes(end) - minutes(start)} min)"
        if end
        else " (not ended)"
    )
    lines += [f"**Participants:** {meeting.participants}  ", f"**Time:** {when}", ""]
    if headline:
        lines += ["## Where the list stands", ""] + [f"- {h}" for h in headline] + [""]

    words = {
        "retier": ("tier change", "tier changes"),
        "target": ("account added to the list", "accounts added to the list"),
        "drop": ("drop", "drops"),
        "restore": ("restore", "restores"),
        "follow_up": ("follow-up", "follow-ups"),
        "note": ("note", "notes"),
    }
    summary = [f"{kinds[k]} {w[kinds[k] > 1]}" for k, w in words.items() if kinds[k]]
    lines += ["## Summary", ""]
    if summary:
        lines.append("- " + ", ".join(summary) + ".")
    else:
        lines.append("- No decisions were made.")
    if skipped:
        lines.append(
            f"- {len(skipped)} agenda item{'s' if len(skipped) > 1 else ''} skipped, kept for the next meeting."
        )
    if corrected:
        taken = "1 decision" if corrected == 1 else f"{corrected} decisions"
        lines.append(f"- {taken} taken back during the meeting (not listed below).")
    lines.append("")

    # Lists, not tables, folded at 80 columns: they read in a terminal and in any Markdown viewer.
    moves = [d for d in kept if d.kind in ("retier", "target")]
    if moves:
        lines += ["## Tier changes", ""]
        for d in moves:
            origin = f"Tier {d.from_tier}" if d.from_tier else "not on the list"
            why = f": {_cell(d.reason)}" if d.reason else ""
            now = f" — now {states[d.account_id]}" if states and d.account_id in states else ""
            lines.append(f"- **{name(d)}**, {origin} → Tier {d.to_tier}{why}{now}")
        lines.append("")
    drops = [d for d in kept if d.kind == "drop"]
    if drops:
        lines += ["## Dropped from the list", ""]
        for d in drops:
            tier = f" (was Tier {d.from_tier})" if d.from_tier else ""
            lines.append(f"- **{name(d)}**{tier}: {_cell(d.reason)}")
        lines.append("")
    restores = [d for d in kept if d.kind == "restore"]
    if restores:
        lines += (
            ["## Restored to the list", ""]
            + [f"- {name(d)} (Tier {d.to_tier or '–'})" for d in restores]
            + [""]
        )
    standing = {d.id for d in kept}
    follows = [f for f in follow_ups if f.decision_id is None or f.decision_id in standing]
    for title, items in (
        ("Follow-ups agreed", follows),
        ("Follow-ups done", done_follow_ups or []),
        ("Follow-ups overdue", overdue_follow_ups or []),
    ):
        if items:
            lines += [f"## {title}", ""]
            for f in items:
                due = f", due {f.due_date.isoformat()}" if f.due_date else ""
                done = " — done" if title == "Follow-ups agreed" and f.done_at else ""  # in the meeting
                lines.append(
                    f"- **{_cell(names.get(f.account_id))}**: {_cell(f.text)} ({_cell(f.owner) or 'no owner'}{due}){done}"
                )
            lines.append("")
    notes = [d for d in kept if d.kind == "note"]
    if notes:
        lines += ["## Notes", ""] + [f"- **{name(d)}**: {_cell(d.reason)}" for d in notes] + [""]
    if skipped:
        lines += ["## Skipped (on the agenda next time)", ""] + [f"- {_cell(s)}" for s in skipped] + [""]
    if warnings:
        lines += ["## List hygiene", ""] + [f"- {w}" for w in warnings] + [""]
    lines.append(f"_Recorded with abm-tui; meeting #{meeting.id}._")
    return "\n".join(_fold(line) for line in lines) + "\n"
