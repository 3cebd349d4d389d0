"""The bundled demo data, shifted so that its newest activity is today."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from abm_tui.importers.audit import ImportSummary
from abm_tui.importers.generic import Batch, read_folder
from abm_tui.store.imports import apply_batch

DATE_COLUMNS = (
    "churned_at",
    "occurred_at",
    "created_at",
    "close_date",
    "entered_at",
    "period_start",
    "period_end",
    "date",
)


def demo_folder() -> Path:
    return Path(str(files("abm_tui.fixtures") / "demo"))


def newest_activity(batch: Batch) -> date | None:
    touches = batch.frame("engagements.csv")["occurred_at"]
    return max(touches).date() if len(touches) else None


def shift_dates(batch: Batch, days: int) -> None:
    """Every date of every row `days` later (the rows' content keys stay those of the files)."""
    delta = timedelta(days=days)
    for kind in list(batch.parts):
        frame = batch.frame(kind)
        for col in DATE_COLUMNS:
            if col in frame:
                moved = [v + delta if isinstance(v, (date, datetime)) else v for v in frame[col]]
                frame[col] = pd.Series(moved, index=frame.index, dtype=object)


def load_demo(engine: Engine, *, today: date | None = None) -> ImportSummary:
    """Import the demo folder with every date moved so that the newest engagement is `today`."""
    batch = read_folder(demo_folder())
    newest = newest_activity(batch)
    if newest is not None:
        shift_dates(batch, ((today or date.today()) - newest).days)
    batch.demo = True
    return apply_batch(engine, batch)
