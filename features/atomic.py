"""Write files whole or not at all: into temporary files beside them, then renamed over them, so a
failed command leaves nothing half-written behind. The one home of the project's atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def temporary_beside(out: str | Path) -> Iterator[Path]:
    """A fresh temporary file in `out`'s folder (so the rename stays on one file system); removed on
    exit unless it was moved over `out` meanwhile."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def replace_all_atomically(writes: dict[Path, Callable[[str], object]]) -> list[Path]:
    """Call each `write(temporary_path)`, then move every file to its place: all appear, or none do
    (a failure in any write leaves no target touched)."""
    targets = [Path(out) for out in writes]
    with ExitStack() as stack:
        temps = [stack.enter_context(temporary_beside(target)) for target in targets]
        for temp, write in zip(temps, writes.values(), strict=True):
            write(str(temp))
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    return targets


def replace_atomically(out: str | Path, write: Callable[[str], object]) -> Path:
    """Call `write(temporary_path)`, then move the file to `out`; on error nothing is left behind."""
    return replace_all_atomically({Path(out): write})[0]


def write_texts(files: dict[Path, str]) -> None:
    """Several UTF-8 text files, all or none."""
    replace_all_atomically({path: (lambda temp, text=text: Path(temp).write_text(text, encoding="utf-8"))
                            for path, text in files.items()})

