"""The yardstick: a bare Textual app showing a 100-row DataTable (start-up figures are ratios to it)."""

from textual.app import App, ComposeResult
from textual.widgets import DataTable


class Bare(App):
    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("account", "tier", "score")
        for i in range(100):
            table.add_row(f"Account {i}", str(i % 3 + 1), str(i))
        self.sub_title = "bare ready"
        self.notify("bare ready")


if __name__ == "__main__":
    Bare().run()
