"""plotext charts as widgets (textual-plotext), fed with plain lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual_plotext import PlotextPlot


class BarChart(PlotextPlot):
    """A (possibly stacked or grouped) bar chart with a title."""

    DEFAULT_CSS = """
    BarChart { height: 14; min-width: 30; }
    """

    def show(
        self,
        title: str,
        labels: Sequence[str],
        series: Mapping[str, Sequence[float]],
        *,
        stacked: bool = False,
        horizontal: bool = False,
        ylabel: str = "",
        label_every: int = 1,
    ) -> None:
        """`label_every`: name only every n-th bar (long series); plotext's own thinning of crowded
        labels depends on the order of repaints."""
        # plotext 5's bundled type hints lag its code (`labels=` of the grouped bars): checked by the tests.
        plt: Any = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        orientation = "horizontal" if horizontal else "vertical"
        names = list(series)
        if not labels or not names:
            plt.text("no data", 0, 0)
        elif len(names) == 1:
            plt.bar(list(labels), list(series[names[0]]), orientation=orientation, width=0.6)
        elif stacked:
            plt.stacked_bar(
                list(labels), [list(series[n]) for n in names], labels=names, orientation=orientation
            )
        else:
            plt.multiple_bar(
                list(labels), [list(series[n]) for n in names], labels=names, orientation=orientation
            )
        if label_every > 1 and labels and names:
            shown = range(0, len(labels), label_every)
            plt.xticks([i + 1 for i in shown], [labels[i] for i in shown])
        if ylabel:
            plt.ylabel(ylabel)
        self.refresh()
