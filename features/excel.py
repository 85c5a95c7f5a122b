"""Excel workbooks (.xlsx, .xlsm) as CRMs export them (Salesforce reports, HubSpot, Zoho, Odoo): one sheet
read with its real datetime cells and numbers.

Which sheet holds the table is never a silent choice: a workbook with several sheets holding values is a
question naming them and the key to set; sheets with no value at all are not candidates. A title block
above the header (a report's name, its filters) is skipped as in a CSV (features/csv_shape.py), and rows
and columns with nothing in them are dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from features.csv_shape import drop_empty, header_row
from features.errors import LeadscoreError
from features.messages import did_you_mean

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
# An encrypted (password-protected) workbook is an OLE2 compound file, as is an old .xls: not a zip archive.
_OLE2 = b"\xd0\xcf\x11\xe0"
HEAD_ROWS = 10  # rows read to find the header under a title block


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in EXCEL_SUFFIXES


def _listed(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _how_to_choose(sheet_key: str | None) -> str:
    if sheet_key is None:
        return "save the sheet to read as its own file (CSV, or a workbook of that one sheet)"
    if sheet_key.startswith("--"):
        return f"pass {sheet_key} with one of them"
    return f"set '{sheet_key}' in the spec to one of them"


def _has_values(sheet) -> bool:
    return any(value is not None for row in sheet.iter_rows(values_only=True) for value in row)


def _chosen(book, path: Path, sheet: str | None, sheet_key: str | None):
    """The worksheet to read: the one named, else the only one holding values; several are a question."""
    sheets = book.worksheets  # chart sheets hold no table and are not listed here
    names = [s.title for s in sheets]
    if sheet is not None:
        if sheet not in names:
            where = f" (spec key '{sheet_key}')" if sheet_key and not sheet_key.startswith("--") else ""
            raise LeadscoreError(f"{path}: no sheet named {sheet!r}{where}{did_you_mean(sheet, names)}; "
                                 f"the workbook's sheets: {_listed(names)}")
        return sheets[names.index(sheet)]
    filled = [s for s in sheets if _has_values(s)]
    if not filled:
        raise LeadscoreError(f"{path}: every sheet of the workbook is empty; export the table with its header row")
    if len(filled) > 1:
        raise LeadscoreError(f"{path}: the workbook has {len(filled)} sheets with values "
                             f"({_listed([s.title for s in filled])}): which one holds the table is not guessed; "
                             f"{_how_to_choose(sheet_key)}")
    if len(sheets) > 1:
        log.info("%s: reading sheet %r, the only one with values", path, filled[0].title)
    return filled[0]


def _header(sheet, path: Path, where: str) -> int:
    """The header's row (0-based) under any title block; a repeated column name is refused as in a CSV."""
    rows = [["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True, max_row=HEAD_ROWS)]
    at = header_row(rows)
    if not any(cell.strip() for cell in (rows[at] if rows else [])):  # no row names two columns: the first filled
        at = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), 0)
    seen: set[str] = set()
    for name in (rows[at] if rows else []):
        if name.strip() and name in seen:
            raise LeadscoreError(f"{path}{where}: column name {name!r} appears more than once in the header; "
                                 "rename one of them in the export")
        seen.add(name)
    return at


def read_workbook(path: Path, sheet: str | None = None, sheet_key: str | None = None) -> pd.DataFrame:
    """One sheet of the workbook at `path` as a DataFrame; `sheet_key` is the spec key or option that names
    the sheet ('leads.sheet', '--sheet'), for the question a workbook of several sheets asks."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE2):
        raise LeadscoreError(f"{path}: a password-protected workbook (or an old .xls saved under an .xlsx name): "
                             "cannot be read; save a copy without a password as .xlsx, or export the table as CSV")
    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            chosen = _chosen(workbook.book, path, sheet, sheet_key)
            where = f" (sheet {chosen.title!r})" if len(workbook.book.worksheets) > 1 else ""
            skip = _header(chosen, path, where)
            if skip:
                log.info("%s%s: skipped %d title line(s) above the header", path, where, skip)
            frame = pd.read_excel(workbook, sheet_name=chosen.title, skiprows=skip)
    except LeadscoreError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file (zip, XML, missing parts)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LeadscoreError(f"{path}: cannot be read as an Excel workbook ({first}); open it in Excel or "
                             "LibreOffice and save it again as .xlsx, or export the table as CSV") from None
    frame.columns = [str(c) for c in frame.columns]
    return drop_empty(frame, f"{path}{where}")
