"""Pieces of user-facing messages: values as the file has them, the nearest match for a typo, and the
Line a command hands to the CLI to print."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from features.errors import LeadscoreError


def shown(value: object) -> str:
    """A value as the export holds it: '1' not 'np.int64(1)', 'yes' quoted, whole floats without '.0'."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value) if isinstance(value, str) else str(value)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """" (did you mean 'duration'?)" for the closest choice, or "" when none is close."""
    choices = [str(c) for c in choices]
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def column_list(columns: Iterable[str]) -> str:
    """Columns for messages: at most ten, then how many more (features/csv_shape.py some_columns)."""
    from features.csv_shape import some_columns

    return some_columns(list(columns))


@dataclass
class Rows:
    """A table a stage hands over as data: the CLI draws it (serving/cli/main.py), a test reads its cells.
    Columns named in `right` (numbers) are right-aligned. Cells are text; rich markup is allowed."""

    title: str
    headings: tuple[str, ...]
    right: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append(tuple(str(c) for c in cells))


@dataclass(frozen=True)
class Line:
    """One thing a command tells its user. Stages hand Lines to the `say` they are given and the CLI
    prints each as it comes (a warning shows before a long step), so no stage imports the CLI's console."""

    text: object  # a str (rich markup allowed) or Rows
    warning: bool = False  # printed as "warning: <text>" in yellow, the text shown as it is
    highlight: bool = True  # rich's colouring of numbers and paths on a terminal


Say = Callable[[Line], None]


def say_nothing(line: Line) -> None:
    """The `say` of callers without a console (tests, notebooks): the lines are dropped."""


def warn_all(say: Say, texts: Iterable[str]) -> None:
    for text in texts:
        say(Line(text, warning=True))


_ROW = re.compile(r"data row (\d+)")


def first_rows(sizes: Iterable[int]) -> list[int]:
    """Each part's first row in the whole input (0-based), from the parts' row counts in order."""
    offsets, total = [], 0
    for size in sizes:
        offsets.append(total)
        total += int(size)
    return offsets


def rows_counted_from(offset: int, call, source: str | None = None):
    """Run `call` on a part of the input (a partition, a chunk); a 'data row N' in its error counts within
    the part: make it count in the whole input, as on one read of the whole file. `source`: the file, named
    first when the message does not name it."""
    try:
        return call()
    except LeadscoreError as exc:
        raise counted_from(offset, exc, source) from None


def counted_from(offset: int, exc: LeadscoreError, source: str | None = None) -> LeadscoreError:
    """`exc` (raised on a part of the input) with its 'data row N' counted in the whole input: for a caller
    that learns the part's offset only once the part failed (`rows_counted_from` otherwise)."""
    message = _ROW.sub(lambda m: f"data row {int(m.group(1)) + offset}", str(exc))
    if source and not message.startswith(source):
        message = f"{source}: {message}"
    return LeadscoreError(message, loc=exc.loc)
