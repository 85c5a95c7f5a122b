"""Write several text files so that all appear whole or none do (a failed command leaves nothing behind)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_texts(files: dict[Path, str]) -> None:
    temps: list[Path] = []
    try:
        for target in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            temps.append(Path(name))
        for temp, text in zip(temps, files.values(), strict=True):
            temp.write_text(text, encoding="utf-8")
        for temp, target in zip(temps, files, strict=True):
            os.replace(temp, target)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
