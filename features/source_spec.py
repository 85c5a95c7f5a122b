"""Where a table of the dataset spec comes from: a file or a SQL query (leads, outcomes, lookups, activities)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from features.config_file import Strict


class SqlSource(Strict):
    url: str = Field(description="SQLAlchemy URL, e.g. sqlite:///crm.db or postgresql://...")
    query: str = Field(description="SELECT statement returning one row per record")


class TableSource(Strict):
    """Where a table is: a file (CSV, Parquet or an Excel workbook) or a SQL query, with how to read its text
    and dates."""

    path: str | None = None
    sql: SqlSource | None = None
    encoding: str | None = None  # text encoding of a CSV file, e.g. latin-1 or gbk (default utf-8)
    date_format: str | None = None  # strftime pattern of its date columns, e.g. "%d-%m-%Y"; None: ISO or proven
    sheet: str | None = None  # the sheet of an Excel workbook to read; needed when several sheets hold values

    @model_validator(mode="after")
    def _one_source(self) -> TableSource:
        if self.path is not None and self.sql is not None:
            raise ValueError("give either 'path' or 'sql', not both")
        if self.sheet is not None:
            self._check_sheet()
        return self

    def _check_sheet(self) -> None:
        from features.excel import EXCEL_SUFFIXES  # pandas, which the spec's models do not need otherwise

        if self.path is None or Path(self.path).suffix.lower() not in EXCEL_SUFFIXES:
            raise ValueError(f"'sheet' names a sheet of an Excel workbook: it needs 'path' to an "
                             f"{' or '.join(EXCEL_SUFFIXES)} file; remove it for {self.describe()}")

    def describe(self) -> str:
        """Where the table comes from, for messages."""
        if self.path is not None:
            return self.path if self.sheet is None else f"{self.path} (sheet {self.sheet!r})"
        return f"{self.sql.url} ({self.sql.query})"
