"""Where a table of the dataset spec comes from: a file or a SQL query (leads, outcomes, lookups, activities)."""

from __future__ import annotations

from pydantic import Field, model_validator

from features.config_file import Strict


class SqlSource(Strict):
    url: str = Field(description="SQLAlchemy URL, e.g. sqlite:///crm.db or postgresql://...")
    query: str = Field(description="SELECT statement returning one row per record")


class TableSource(Strict):
    """Where a table is: a file (CSV or Parquet) or a SQL query, with how to read its text and dates."""

    path: str | None = None
    sql: SqlSource | None = None
    encoding: str | None = None  # text encoding of a CSV file, e.g. latin-1 or gbk (default utf-8)
    date_format: str | None = None  # strftime pattern of its date columns, e.g. "%d-%m-%Y"; None: ISO or proven

    @model_validator(mode="after")
    def _one_source(self) -> TableSource:
        if self.path is not None and self.sql is not None:
            raise ValueError("give either 'path' or 'sql', not both")
        return self

    def describe(self) -> str:
        """Where the table comes from, for messages."""
        return self.path if self.path is not None else f"{self.sql.url} ({self.sql.query})"
