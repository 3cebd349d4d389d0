"""Command line: run (default), demo, import, accounts, funnel.

Every failure the user can cause ends in one clear sentence (or one line per bad CSV row)
and a non-zero exit; tracebacks go to the log file only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui import __version__
from abm_tui.config import ENV_DB, log_dir, resolve_db_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("abm_tui")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _tier(value: str) -> int:
    if value not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"tier must be 1, 2 or 3, not {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    db_help = f"database URL or SQLite file (default: ${ENV_DB}, else abm.sqlite in the user data folder)"
    as_of_help = "compute metrics as of this date (default: today)"
    parser = argparse.ArgumentParser(
        prog="abm-tui", description="Review an ABM target list together, from the keyboard."
    )
    parser.add_argument("--version", action="version", version=f"abm-tui {__version__}")
    parser.add_argument("--db", metavar="URL_OR_PATH", help=db_help)
    parser.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=as_of_help)
    # The same options after the subcommand; SUPPRESS keeps them from overwriting the ones given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--db", metavar="URL_OR_PATH", help=db_help)
    dated = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    dated.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=as_of_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", parents=[common, dated], help="open the app (the default)")

    sub.add_parser("demo", parents=[common], help="load the bundled demo data into a new database")

    init = sub.add_parser("init", help="create an empty database (then import your CRM exports into it)")
    init.add_argument("path", metavar="PATH_OR_URL")

    imp = sub.add_parser(
        "import", parents=[common], help="import CRM exports (HubSpot, Salesforce) or generic CSV folders"
    )
    imp.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_FOLDER")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows of files with bad ones (default: a bad row rejects the whole run)",
    )
    imp.add_argument(
        "--map", type=Path, metavar="MAPPING.toml", help="column and stage mapping for other files"
    )
    imp.add_argument(
        "--write-map",
        type=Path,
        metavar="FILE.toml",
        help="write a mapping to edit for the stage labels abm-tui did not recognise",
    )
    imp.add_argument(
        "--audit",
        type=Path,
        metavar="FILE.csv",
        help="where to write the audit of every row (default: import-audit-<date>-<time>.csv beside the database)",
    )
    imp.add_argument("--roles", type=Path, metavar="ROLES.toml", help="job title → buying role rules")
    imp.add_argument("--encoding", help="file encoding (default: UTF-8, else Windows-1252)")
    imp.add_argument("--delimiter", choices=[",", ";", "tab"], help="cell delimiter (default: detected)")
    imp.add_argument(
        "--date-format", metavar="FORMAT", help="strptime format for ambiguous dates, e.g. %%d/%%m/%%Y"
    )

    exp = sub.add_parser("export", parents=[common], help="export the target list, all data, or minutes")
    exp_sub = exp.add_subparsers(dest="what", metavar="WHAT", required=True)
    targets = exp_sub.add_parser(
        "targets", parents=[common], help="the target list, for re-import into the CRM"
    )
    targets.add_argument("--format", choices=["hubspot", "salesforce", "generic"], default="generic")
    targets.add_argument(
        "--since", type=_date, metavar="YYYY-MM-DD", help="only accounts decided since this day"
    )
    targets.add_argument("--meeting", type=int, metavar="N", help="only accounts decided in meeting N")
    targets.add_argument("file", type=Path)
    generic = exp_sub.add_parser("generic", parents=[common], help="everything, in the generic CSV format")
    generic.add_argument("folder", type=Path)
    minutes = exp_sub.add_parser("minutes", parents=[common], help="a meeting's minutes in Markdown")
    minutes.add_argument("meeting", nargs="?", type=int, help="meeting number (default: the latest)")
    minutes.add_argument("--out", type=Path, help="write to this file instead of printing")

    for name, helptext in (("accounts", "print per-account metrics"), ("funnel", "print the funnel metrics")):
        p = sub.add_parser(name, parents=[common, dated], help=helptext)
        p.add_argument("--json", action="store_true", help="machine-readable output (DESIGN §6)")
        p.add_argument("--tier", type=_tier, help="only this tier")
        if name == "funnel":
            p.add_argument("--owner", help="only accounts of this sales or marketing owner")
            p.add_argument(
                "--since",
                type=_date,
                metavar="YYYY-MM-DD",
                help="what moved since this day (default: the last meeting's, else 28 days before)",
            )
    return parser


def _setup_logging() -> Path | None:
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "abm-tui.log"
        if any(getattr(h, "baseFilename", None) == str(path) for h in log.handlers):
            return path
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_path = _setup_logging()
    from abm_tui.errors import DecisionError, StoreError
    from abm_tui.importers.errors import ImportFailed

    try:
        return COMMANDS[args.command or "run"](args)
    except ImportFailed as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"Import rejected: {len(exc.errors)} problem(s); nothing was written.", file=sys.stderr)
        return 1
    except (StoreError, DecisionError) as exc:
        print(f"abm-tui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `abm-tui accounts | head`: the reader left; not an error worth a word
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: a sentence for the user, the traceback for the log
        log.exception("unexpected error")
        where = f" Details are in {log_path}." if log_path else ""
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
        print(f"abm-tui: unexpected error: {first_line}.{where}", file=sys.stderr)
        return 1


def missing_database(path: Path) -> str:
    return (
        f"There is no database at {path}: create an empty one with `abm-tui init {path}`, "
        f"or one with the demo data with `abm-tui demo --db {path}`."
    )


def _open(args: argparse.Namespace, *, must_exist: bool = False):
    """The store; `must_exist` refuses to create a new database (a mistyped --db for a report)."""
    from abm_tui.config import sqlite_file
    from abm_tui.store.db import StoreError, open_store

    url = resolve_db_url(args.db)
    path = sqlite_file(url)
    if must_exist and path is not None and not path.exists():
        raise StoreError(missing_database(path))
    return open_store(url)


def cmd_run(args: argparse.Namespace) -> int:
    from abm_tui.config import sqlite_file
    from abm_tui.store.metric_cache import connect_current_url

    url = resolve_db_url(args.db)
    path = sqlite_file(url)
    current = connect_current_url(url)
    chosen = bool(args.db or os.environ.get(ENV_DB))  # not the default location
    # The everyday case: a database at the current schema, whose first screen the app reads through
    # sqlite3 or psycopg before SQLAlchemy and Alembic are loaded.
    first_page = None
    if current is not None:
        from abm_tui.review.loading import read_first_page_ahead

        current.close()
        store = url
        first_page = read_first_page_ahead(url, args.as_of)  # while the UI is imported
    else:  # new or older-schema database (or an unreachable server): the store creates, upgrades or says why
        from abm_tui.store.demo import load_demo

        demo = not chosen  # the demo comes by itself only on the very first run at the default location
        if chosen and path is not None and not path.exists():
            choice = _ask_missing(path)  # a mistyped --db must not quietly become a new database
            if not choice:
                return 0
            demo = choice == "demo"
        store, is_new = _open(args)
        if is_new and demo:
            load_demo(store)
    from abm_tui.ui.app import AbmApp

    AbmApp(store, as_of=args.as_of, first_page=first_page).run()
    return 0


def _ask_missing(path: Path) -> str:
    """In a terminal, the choice from a dialog; elsewhere one sentence (and no database is made)."""
    from abm_tui.errors import StoreError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise StoreError(missing_database(path))
    from abm_tui.ui.screens.missing_db import MissingDatabase

    return MissingDatabase(path).run() or ""


def cmd_init(args: argparse.Namespace) -> int:
    from abm_tui.store.db import open_store

    url = resolve_db_url(args.path)
    engine, is_new = open_store(url)
    from sqlmodel import Session

    from abm_tui.store.repo import account_count

    with Session(engine) as session:
        n = account_count(session=session)
    if not is_new:
        print(f"abm-tui: {args.path} is already an abm-tui database ({n:,} accounts); nothing changed.")
        return 0
    print(f"Empty database created at {args.path}. Next: abm-tui import YOUR_EXPORTS --db {args.path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from abm_tui.store.demo import load_demo
    from abm_tui.store.repo import account_count

    engine, _ = _open(args)
    with Session(engine) as session:
        n = account_count(session=session)
    if n:
        print(
            f"abm-tui: this database already holds {n} accounts; the demo loads into a new one "
            f"(choose another with --db or ${ENV_DB}).",
            file=sys.stderr,
        )
        return 2
    summary = load_demo(engine)
    print("Demo data loaded, dates shifted so the newest activity is today:")
    print("\n".join("  " + line for line in summary.lines()))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from abm_tui.config import data_dir, sqlite_file
    from abm_tui.importers import report
    from abm_tui.importers.errors import ImportFailed
    from abm_tui.importers.formats import ReadOptions
    from abm_tui.importers.mapping import write_map
    from abm_tui.importers.reader import count_rows, read_inputs
    from abm_tui.importers.roles import load_rules
    from abm_tui.store.db import StoreError, open_store
    from abm_tui.store.imports import apply_batch

    delimiter = "\t" if args.delimiter == "tab" else args.delimiter
    options = ReadOptions(encoding=args.encoding, delimiter=delimiter, date_format=args.date_format)
    total = count_rows(args.paths) if sys.stderr.isatty() else 0  # (only for the progress bar)
    bar = ProgressBar(total) if total > 5000 else None
    try:
        roles = load_rules(args.roles) if args.roles else None
        batch = read_inputs(
            args.paths,
            mapping=args.map,
            options=options,
            roles=roles,
            on_rows=partial(bar.show, "checking") if bar else None,
            skip_bad_rows=args.skip_bad_rows,
            lazy=True,  # each kind written while the next is read (files of the generic format)
        )
    except (ValueError, OSError) as exc:
        raise StoreError(str(exc).rstrip(".")) from exc
    url = resolve_db_url(args.db)
    path = sqlite_file(url)
    audit_file = args.audit or report.audit_path(path, data_dir())
    # A new file is made for the import, and removed again if the import writes nothing (on a dry
    # run it is not made: the rows are checked against an empty schema). Even with bad rows the
    # rest is checked against the database, so one run shows every problem.
    new_file = path is not None and not path.exists()
    if new_file and args.dry_run:
        url, new_file = "sqlite://", False
    engine, _ = open_store(url)
    try:
        summary = apply_batch(
            engine,
            batch,
            dry_run=args.dry_run,
            progress=partial(bar.show, "writing") if bar else None,
            new_file=new_file,
        )
    except ImportFailed as failed:
        _discard(engine, path if new_file else None)
        if bar:
            bar.done()
        for line in report.error_lines(failed.errors):
            print(line, file=sys.stderr)
        if failed.summary is not None:
            _write_audit(failed.summary.audit, audit_file)
        for line in report.rejected_lines(failed.errors):
            print(line, file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:  # a file read once the writing had begun
        _discard(engine, path if new_file else None)
        raise StoreError(str(exc).rstrip(".")) from exc
    if bar:
        bar.done()
    for line in report.warning_lines(summary.warnings):
        print(line, file=sys.stderr)
    names = ", ".join(str(p) for p in args.paths)
    recognised = set(summary.counts) - set(summary.unrecognised)
    if args.dry_run:
        print("Dry run, nothing written; this import would do:")
    elif summary.counts and not recognised:
        print(f"Nothing imported from {names}: no file was recognised.")
    else:
        print(f"Imported {names}:")
    print(
        "\n".join("  " + line if line else "" for line in report.outcome_lines(summary))
        or "  nothing to import"
    )
    if args.write_map and summary.unknown_stages:
        write_map(summary.unknown_stages, args.write_map)
        print(f"Stage mapping to edit written to {args.write_map}; pass it with --map.")
    _write_audit(summary.audit, audit_file)
    return 0 if recognised or not summary.counts else 1  # not one file could be read as what it is


def _discard(engine: Engine, path: Path | None) -> None:
    """Close the store; remove the SQLite file `path` (made for an import that wrote nothing)."""
    engine.dispose()
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def _write_audit(audit, path: Path) -> None:
    try:
        audit.write_csv(path)
    except OSError as exc:
        print(f"abm-tui: the audit could not be written to {path}: {exc.strerror}.", file=sys.stderr)
        return
    print(f"Audit of every row: {path}")


class ProgressBar:
    """`checking [██████░░░░░░░░] 43%  80,000 of 186,000 rows` on stderr, redrawn in place."""

    def __init__(self, total: int, width: int = 30):
        self.total, self.width = max(total, 1), width

    def show(self, phase: str, n: int) -> None:
        share = min(1.0, n / self.total)
        filled = int(share * self.width)
        bar = "█" * filled + "░" * (self.width - filled)
        print(
            f"\r{phase:<9}[{bar}] {share:4.0%}  {n:,} of {self.total:,} rows",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def done(self) -> None:
        print(file=sys.stderr)


def _metrics(args: argparse.Namespace):
    from sqlmodel import Session

    from abm_tui.metrics import Params, account_metrics
    from abm_tui.store.repo import get_settings, load_dataset, resolve_as_of

    engine, _ = _open(args, must_exist=True)
    with Session(engine) as session:
        settings = get_settings(session=session)
    as_of = resolve_as_of(settings, args.as_of)
    params = Params.from_settings(settings)
    ds = load_dataset(engine)
    return ds, account_metrics(ds, as_of, params), as_of, params, settings


def cmd_accounts(args: argparse.Namespace) -> int:
    from abm_tui.exporters.numbers import currency_of
    from abm_tui.exporters.report import accounts_records, accounts_table

    ds, metrics, _, _, settings = _metrics(args)
    records = accounts_records(ds, metrics, tier=args.tier)
    text = accounts_table(records, currency_of(settings))
    print(json.dumps(records, indent=2, ensure_ascii=False) if args.json else text)
    return 0


def _movement_since(args: argparse.Namespace, as_of: date) -> date:
    from sqlmodel import Session

    from abm_tui.store.meetings import movement_since

    with Session(_open(args, must_exist=True)[0]) as session:
        return movement_since(session=session, as_of=as_of)


def cmd_funnel(args: argparse.Namespace) -> int:
    from abm_tui.exporters.numbers import currency_of
    from abm_tui.exporters.report import funnel_text
    from abm_tui.metrics import funnel
    from abm_tui.metrics.dataset import as_timestamp
    from abm_tui.metrics.funnel import groups
    from abm_tui.metrics.movement import movement_and_trend

    ds, metrics, as_of, params, settings = _metrics(args)
    result = funnel(ds, as_of, params, tier=args.tier, owner=args.owner, metrics=metrics)
    since = args.since or _movement_since(args, as_of)
    abm_ids, _ = groups(ds.accounts.set_index("id", drop=False), args.tier, args.owner)
    result |= movement_and_trend(ds, as_timestamp(as_of), since, abm_ids, params, now=metrics["stage_rank"])
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    from abm_tui.store.metric_cache import as_of_is_newest_data

    print(funnel_text(result, currency_of(settings), as_of_is_newest_data(settings, args.as_of)))
    return 0


def _folder_exists(path: Path) -> None:
    from abm_tui.errors import StoreError

    folder = path.expanduser().parent
    if not folder.is_dir():
        raise StoreError(f"There is no folder {folder}; create it first or write the file elsewhere.")


def cmd_export(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    if args.what == "targets":
        from abm_tui.exporters.files import export_targets

        _folder_exists(args.file)
        done = export_targets(
            _open(args, must_exist=True)[0], args.file, args.format, since=args.since, meeting=args.meeting
        )
        print(f"{done.written:,} accounts written to {args.file} ({args.format} format)")
        if done.left_out:
            print(
                f"{done.left_out:,} accounts have no {done.id_name}: left out (the CRM could not match them)."
            )
        if done.left_out and not done.written:
            print(
                f"None came from {args.format.capitalize()}: --format generic writes them with the ids they "
                "were imported with."
            )
        return 0
    if args.what == "generic":
        from abm_tui.exporters.files import export_generic

        counts = export_generic(_open(args, must_exist=True)[0], args.folder)
        print(f"Written to {args.folder}: " + ", ".join(f"{f} {n}" for f, n in counts.items()))
        return 0

    from abm_tui.review.service import ReviewService
    from abm_tui.store.meetings import list_meetings

    engine, _ = _open(args, must_exist=True)
    with Session(engine) as session:
        ids = [m.id for m in list_meetings(session=session) if m.id is not None]
    if not ids:
        print("abm-tui: no meeting has been held yet (press m in the app to start one).", file=sys.stderr)
        return 2
    meeting = args.meeting or ids[-1]
    service = ReviewService(engine)
    text = service.minutes(meeting, service.load())
    if args.out:
        _folder_exists(args.out)
        args.out.write_text(text, encoding="utf-8")
        print(f"Minutes of meeting {meeting} written to {args.out}")
    else:
        print(text, end="")
    return 0


COMMANDS = {
    "run": cmd_run,
    "demo": cmd_demo,
    "init": cmd_init,
    "import": cmd_import,
    "accounts": cmd_accounts,
    "funnel": cmd_funnel,
    "export": cmd_export,
}
