"""Write a file whole or not at all: into a temporary file beside it, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(out: str | Path, write: Callable[[str], object]) -> Path:
    """Call `write(temporary_path)`, then move the file to `out`; on error nothing is left behind."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(temp)
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)
    return out
