"""The metric engine of DESIGN §3 and §4: pure functions over a `Dataset` of data frames.

Nothing here knows about Textual or database sessions; the store builds a `Dataset`,
these functions turn it into numbers at an as-of date.
"""

from abm_tui.metrics.accounts import STAGES, account_metrics
from abm_tui.metrics.dataset import Dataset, Params
from abm_tui.metrics.funnel import funnel

__all__ = ["STAGES", "Dataset", "Params", "account_metrics", "funnel"]
