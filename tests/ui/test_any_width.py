"""Issue 16, item 8: the screens read at 80×24, 100×30 and 160×48 — what is in view, not how it looks
(the snapshot tests show that)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Footer

from abm_tui.ui.app import AbmApp
from abm_tui.ui.screens.targets import TargetsScreen
from abm_tui.ui.widgets.charts import BarChart, Legend
from tests.conftest import DEMO_TODAY
from tests.ui.conftest import SIZE, open_funnel, settle


def column_labels(table: DataTable) -> list[str]:
    return [str(c.label) for c in table.columns.values()]


def footer_keys_in_view(app) -> list[str]:
    """The keys whose whole footer entry is on screen."""
    footer = app.screen.query_one(Footer)
    width = app.size.width
    return [
        key.key
        for key in footer.query("FooterKey")
        if key.region.width and key.region.right <= width and "-command-palette" not in key.classes
    ]


async def test_80_columns_keep_the_decision_columns_and_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        table = app.screen.query_one(DataTable)
        assert column_labels(table)[:5] == ["Tier", "Account", "Stage", "Score", "Top gap"]
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths[:5]) <= 80  # all five in view without scrolling
        assert {"question_mark", "f", "m"} <= set(footer_keys_in_view(app))


async def test_tier_and_account_stay_when_scrolling_sideways(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        table = app.screen.query_one(DataTable)
        assert table.fixed_columns == 2
        first = app.screen.shown[0]
        table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)
        await settle(pilot)
        assert table.scroll_x > 0
        line = table.render_line(table.header_height).text  # the first row as drawn
        assert line.split()[0] == str(first.tier) and first.name[:10] in line
        assert first.short_owners not in line  # scrolled: the last column is in view too


@pytest.mark.parametrize("width", [80, 100, 160])
async def test_the_palette_key_ends_the_footer_with_nothing_after_it(make_app, width):
    """A compact footer gave the palette key a right margin: the keys scrolled under it showed
    through that last column (a stray character after "^p palette")."""
    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        palette = app.screen.query_one(Footer).query_one(".-command-palette")
        assert palette.region.right == width


async def test_owners_are_not_cut_at_160_columns(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        table = app.screen.query_one(DataTable)
        owners = next(c for c in table.columns.values() if str(c.label) == "Owners")
        longest = max(len(r.short_owners) for r in app.screen.shown)
        assert owners.get_render_width(table) - 2 * table.cell_padding >= longest


async def test_the_funnel_at_80_columns_shows_numbers_then_charts_one_per_row(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await open_funnel(pilot)
        screen = app.screen
        numbers, pane = screen.query_one("#numbers"), screen.query_one("#charts-pane")
        assert screen.has_class("-narrow") and numbers.region.width == 80 and not pane.display
        await pilot.press("c")
        await settle(pilot)
        assert not numbers.display and pane.display and screen.focused is pane
        charts = list(screen.query(BarChart))
        # Stacked one under the other, each as wide as the screen (but the scrollbar).
        assert {c.size.width for c in charts} == {80 - pane.scrollbar_size_vertical}
        assert [c.region.y for c in charts] == sorted(c.region.y for c in charts)
        await pilot.press("c")
        await settle(pilot)
        assert numbers.display and screen.focused is numbers


async def test_the_funnel_at_160_columns_has_numbers_and_charts_side_by_side(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await open_funnel(pilot)
        screen = app.screen
        assert not screen.has_class("-narrow")
        assert screen.query_one("#numbers").region.right <= screen.query_one("#charts-pane").region.x
        assert "c" not in footer_keys_in_view(app)  # the charts and the numbers are both in view
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert screen.has_class("-narrow") and "c" in footer_keys_in_view(app)


async def test_a_legend_sits_under_its_chart_and_keeps_each_entry_whole(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await open_funnel(pilot, moved=True)
        chart = app.screen.query_one("#chart-trend", BarChart)
        legend = chart.query_one(Legend)
        assert legend.display and legend.region.y >= chart.query_one("PlotextPlot").region.bottom
        names = ["target", "reached", "engaged", "mqa", "opportunity", "customer"]
        assert legend.names == names
        lines = [line.plain for line in legend.lines(30)]
        assert len(lines) > 1 and all(len(line) <= 30 for line in lines)
        assert " ".join(lines).replace("  ", " ").split("■ ")[1:] == [f"{n} " for n in names[:-1]] + [
            names[-1]
        ]
        single = app.screen.query_one("#chart-velocity", BarChart)
        assert not single.query_one(Legend).display  # one series: no legend


async def test_the_theme_is_remembered(demo_engine):
    app = AbmApp(demo_engine, as_of=DEMO_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        app.theme = "textual-light"
        await settle(pilot)
    again = AbmApp(demo_engine, as_of=DEMO_TODAY)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: again.snapshot is not None)
        assert again.theme == "textual-light"
        assert isinstance(again.screen, TargetsScreen)
