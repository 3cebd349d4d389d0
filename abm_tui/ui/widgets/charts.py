"""plotext charts as widgets (textual-plotext), fed with plain lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widget import Widget
from textual_plotext import PlotextPlot

# One colour per series, in order (the legend line below a chart uses the same ones).
SERIES_COLOURS = [(0, 130, 200), (60, 180, 75), (230, 25, 75), (245, 130, 48), (145, 30, 180), (70, 240, 240)]


class Legend(Widget):
    """ "■ name" per series in its bar's colour, under the chart (no legend covers a bar); an entry is
    never split across lines."""

    DEFAULT_CSS = "Legend { height: auto; padding-left: 2; }"

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def show(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Text]:
        lines = [Text()]
        for i, name in enumerate(self.names):
            r, g, b = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            entry = Text("■ ", style=f"rgb({r},{g},{b})").append(name)
            if lines[-1] and lines[-1].cell_len + 2 + entry.cell_len > width:
                lines.append(Text())
            lines[-1].append("  " if lines[-1] else "").append_text(entry)
        return lines

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))


class BarChart(Vertical):
    """A (possibly stacked or grouped) bar chart with a title and, for several series, a legend line."""

    DEFAULT_CSS = """
    BarChart { height: 14; min-width: 30; }
    BarChart > PlotextPlot { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield PlotextPlot()
        yield Legend()

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
        pending: bool = False,
    ) -> None:
        """`label_every`: name only every n-th bar (long series); plotext's own thinning of crowded
        labels depends on the order of repaints. `pending`: the numbers are still being worked out."""
        plot = self.query_one(PlotextPlot)
        # plotext 5's bundled type hints lag its code (`color=` of the grouped bars): checked by the tests.
        plt: Any = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        orientation = "horizontal" if horizontal else "vertical"
        names = list(series)
        colours = [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(names))]
        empty = not labels or not any(any(values) for values in series.values())
        if empty:  # a word in an empty panel: a flat plot would draw axes from -1 to 1 around no bar
            plt.text("…" if pending else "no data" if not labels else "all zero", 0, 0)
            plt.xticks([])
            plt.yticks([])
            plt.frame(False)
        elif len(names) == 1:
            plt.bar(
                list(labels), list(series[names[0]]), orientation=orientation, width=0.6, color=colours[0]
            )
        elif stacked:
            plt.stacked_bar(
                list(labels), [list(series[n]) for n in names], orientation=orientation, color=colours
            )
        else:
            plt.multiple_bar(
                list(labels), [list(series[n]) for n in names], orientation=orientation, color=colours
            )
        if label_every > 1 and not empty:
            shown = range(0, len(labels), label_every)
            plt.xticks([i + 1 for i in shown], [labels[i] for i in shown])
        if ylabel:
            plt.ylabel(ylabel)
        key = self.query_one(Legend)
        key.display = len(names) > 1 and not empty
        key.show(names)
        plot.refresh()
