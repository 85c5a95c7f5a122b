"""The Typer app of `leadscore` and what every command shares: the console, logging, the printer of the
lines stages say, and the guard that turns a user's mistake into one red line and exit code 2.

The commands live one group per module beside this one (data, model, serve, loop) and register on this
app when serving/cli/__init__.py imports them. Each imports its stage when it runs, so `leadscore --help`
stays fast and importing this module has no side effects.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from features.errors import LeadscoreError

if TYPE_CHECKING:  # features.messages imports numpy: `leadscore --help` stays without it
    from features.messages import Line

app = typer.Typer(help="Lead-conversion scoring: build training sets, train, score and serve.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
# Wide enough for the metrics table when output is not a terminal (CI logs, files).
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def setup_logging(verbose: bool) -> None:
    # -v adds the project's own debug lines only, not every library's (matplotlib, git, ...).
    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        handlers=[RichHandler(console=console, show_path=False)], force=True)
    for own in ("features", "training", "serving"):
        logging.getLogger(own).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    for noisy in ("alembic", "mlflow", "urllib3", "optuna", "bentoml", "shap", "numba", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    setup_logging(verbose)


def fail(message: str) -> None:
    """One red line and exit code 2: what users see for a mistake they can fix."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code=2)


def run_guarded(action):
    """Run a command body; a LeadscoreError becomes one red line and exit code 2, never a traceback."""
    try:
        return action()
    except LeadscoreError as exc:
        fail(str(exc).replace("[", r"\["))


def say(line: Line) -> None:
    """Print one Line a stage hands over, as it comes: a warning in yellow (its text shown as it is)."""
    if line.warning:
        console.print(f"[bold yellow]warning:[/] {escape(str(line.text))}", highlight=False)
    elif type(line.text).__name__ == "Rows":  # not imported: features.messages brings numpy
        console.print(rich_table(line.text), highlight=line.highlight)
    else:
        console.print(line.text, highlight=line.highlight)


def rich_table(rows) -> Table:
    """A stage's Rows drawn by rich."""
    table = Table(title=rows.title)
    for heading in rows.headings:
        table.add_column(heading, justify="right" if heading in rows.right else "left")
    for cells in rows.rows:
        table.add_row(*cells)
    return table


def main() -> None:  # pragma: no cover - console entry point
    import serving.cli  # noqa: F401  (registers the commands)

    sys.exit(app())
