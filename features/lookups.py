"""Related tables: many-to-one lookups (account, product, rep -> team) joined onto the leads by a key.

Each lookup's columns arrive named '<lookup> <column>' ('account industry'), so reasons and the page say
whose value it is. Joining reports, per table, the share of leads whose key matches nothing, with
examples and the nearest existing keys ("'GTXPro' matches no product; nearest 'GTX Pro'"): a typo in a
key is a question for the user (the spec's `aliases` answers it), never a silent missing value. A key
that appears twice in a lookup table is an error: the join would copy leads.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from features.errors import LeadscoreError
from features.keys import id_text
from features.load import load_table, require_columns
from features.messages import shown
from features.relations_spec import LookupSpec

EXAMPLES = 5
# Scored leads that miss a table this much more (or less) often than training rows did are a warning.
SHIFT_RATIO = 2.0
SHIFT_POINTS = 0.10


@dataclass
class LookupTable:
    """A lookup read and checked: its key values as text -> the columns it brings (already prefixed)."""

    name: str
    on: str  # the column of the joined frame holding the key (a leads column, or '<parent> <column>')
    table: pd.DataFrame  # indexed by the key as text, columns named '<name> <column>'
    aliases: dict[str, str] = field(default_factory=dict)
    warn_unmatched: float = 0.05

    def to_plain(self) -> dict:
        """Lists, dicts and text only: what the model file (skops) stores safely."""
        columns = {c: [_plain(v) for v in self.table[c].tolist()] for c in self.table.columns}
        return {"name": self.name, "on": self.on, "aliases": dict(self.aliases),
                "warn_unmatched": float(self.warn_unmatched), "keys": [str(k) for k in self.table.index],
                "columns": columns}

    @classmethod
    def from_plain(cls, plain: dict) -> LookupTable:
        table = pd.DataFrame(plain["columns"], index=pd.Index(plain["keys"], dtype=object))
        return cls(name=plain["name"], on=plain["on"], table=table, aliases=dict(plain["aliases"]),
                   warn_unmatched=plain["warn_unmatched"])


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    value = value.item() if isinstance(value, np.generic) else value
    return value if isinstance(value, str | int | float | bool) else str(value)


@dataclass
class MatchReport:
    """How one lookup matched: leads without a key, with a key found nowhere, examples, nearest keys."""

    table: str
    column: str
    rows: int
    missing_key: int
    unmatched: int
    examples: list[str]
    nearest: dict[str, str]
    warn_at: float

    @property
    def share(self) -> float:
        """Share of rows the table adds nothing to (no key, or a key it does not hold)."""
        return (self.missing_key + self.unmatched) / self.rows if self.rows else 0.0

    def warning(self) -> str | None:
        if self.share <= self.warn_at:
            return None
        text = (f"lookup {self.table!r}: {self.share:.1%} of leads match no row ({self.unmatched:,} with a key "
                f"it does not hold, {self.missing_key:,} with column {self.column!r} empty)")
        if self.examples:
            shown_examples = "; ".join(
                f"{e!r} matches no {self.table}" + (f", nearest {self.nearest[e]!r}" if e in self.nearest else "")
                for e in self.examples)
            text += f": {shown_examples}; map them under 'lookups[{self.table}].aliases' in the spec"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "share": round(self.share, 4)}


def lookup_order(specs: list[LookupSpec]) -> list[LookupSpec]:
    """The lookups in join order (a chain's parent first); a cycle or an unknown parent is an error."""
    by_name = {}
    for spec in specs:
        if spec.name in by_name:
            raise LeadscoreError(f"lookups: the name {spec.name!r} is used twice; give each lookup its own name")
        by_name[spec.name] = spec
    ordered, state = [], {}

    def visit(spec: LookupSpec, path: list[str]) -> None:
        if state.get(spec.name) == "done":
            return
        if state.get(spec.name) == "open":
            raise LeadscoreError(f"lookups: {' -> '.join(path + [spec.name])} is a cycle; a chain must end at "
                                 "the leads (a lookup whose 'via' is a leads column)")
        state[spec.name] = "open"
        if spec.parent is not None:
            if spec.parent not in by_name:
                raise LeadscoreError(f"lookups[{spec.name}].via: {spec.via!r} names lookup {spec.parent!r}, which "
                                     f"the spec does not declare; lookups: {', '.join(map(repr, by_name))}")
            visit(by_name[spec.parent], path + [spec.name])
        state[spec.name] = "done"
        ordered.append(spec)

    for spec in specs:
        visit(spec, [])
    return ordered


def read_lookup(spec: LookupSpec) -> LookupTable:
    """Load one lookup table and check its key: present, never empty, never duplicated."""
    source = spec.describe()
    frame = load_table(spec.path, spec.sql, f"lookup {spec.name!r}", spec.encoding, spec.sheet,
                       f"lookups[{spec.name}].sheet")
    require_columns(frame, [spec.key], source, f"lookups[{spec.name}].key")
    columns = spec.columns if spec.columns is not None else [c for c in frame.columns if c != spec.key]
    require_columns(frame, columns, source, f"lookups[{spec.name}].columns")
    keys = id_text(frame[spec.key]).str.strip()
    if keys.isna().any():
        row = int(keys.isna().to_numpy().nonzero()[0][0])
        raise LeadscoreError(f"{source}: lookup {spec.name!r} key column {spec.key!r} is empty at data row "
                             f"{row + 1}; every row of a lookup needs its key")
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        rows = duplicated.to_numpy().nonzero()[0]
        first = keys.iloc[rows[0]]
        same = [int(r) + 1 for r in rows if keys.iloc[r] == first][:5]
        raise LeadscoreError(
            f"{source}: lookup {spec.name!r} key {shown(first)} in column {spec.key!r} appears more than once "
            f"(data rows {', '.join(map(str, same))}); a lookup holds one row per key: remove the duplicates")
    table = frame[columns].copy()
    table.columns = [f"{spec.name} {c}" for c in columns]
    table.index = pd.Index(keys.to_numpy(dtype=object), name=None)
    on = spec.on_column if spec.parent is None else f"{spec.parent} {spec.on_column}"
    return LookupTable(name=spec.name, on=on, table=table, aliases=dict(spec.aliases),
                       warn_unmatched=spec.warn_unmatched)


def read_lookups(specs: list[LookupSpec]) -> list[LookupTable]:
    return [read_lookup(spec) for spec in lookup_order(specs)]


def nearest_keys(unknown: list[str], keys: pd.Index) -> dict[str, str]:
    """The closest existing key of each unknown one, ignoring case and spaces ('GTXPro' -> 'GTX Pro')."""
    squashed: dict[str, str] = {}
    for key in keys.astype(str):
        squashed.setdefault(key.replace(" ", "").casefold(), key)
    found = {}
    for value in unknown:
        close = difflib.get_close_matches(value.replace(" ", "").casefold(), list(squashed), n=1, cutoff=0.6)
        if close:
            found[value] = squashed[close[0]]
    return found


def key_text(values: pd.Series, aliases: dict[str, str]) -> pd.Series:
    """Key values as text, whole floats without '.0' (a key column read as numbers), aliases applied."""
    if pd.api.types.is_float_dtype(values) and values.dropna().map(float.is_integer).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.replace(aliases) if aliases else text


def join_lookup(frame: pd.DataFrame, lookup: LookupTable, source: str) -> tuple[pd.DataFrame, MatchReport]:
    """`frame` with the lookup's columns added (missing where nothing matches), and how it matched."""
    if lookup.on not in frame.columns:
        where = "the leads" if " " not in lookup.on else "the joined lookup"
        require_columns(frame, [lookup.on], f"{source} ({where})", f"lookups[{lookup.name}].via")
    keys = key_text(frame[lookup.on], lookup.aliases)
    position = lookup.table.index.get_indexer(keys.fillna("").to_numpy(dtype=object))
    missing_key = keys.isna().to_numpy()
    unmatched = (position < 0) & ~missing_key
    examples = list(dict.fromkeys(keys[unmatched].head(1000).tolist()))[:EXAMPLES]
    report = MatchReport(table=lookup.name, column=lookup.on, rows=len(frame), missing_key=int(missing_key.sum()),
                         unmatched=int(unmatched.sum()), examples=examples,
                         nearest=nearest_keys(examples, lookup.table.index), warn_at=lookup.warn_unmatched)
    # reindex, not take: a key the table lacks gives a missing row, integers widen to floats
    joined = lookup.table.reindex(pd.Index(keys.fillna("").to_numpy(dtype=object)))
    joined.index = frame.index
    clash = [c for c in joined.columns if c in frame.columns]
    if clash:
        raise LeadscoreError(f"{source}: lookup {lookup.name!r} would add column {clash[0]!r}, which the leads "
                             "already have; rename the lookup ('lookups[].name') or the column")
    return pd.concat([frame, joined], axis=1), report


def join_lookups(frame: pd.DataFrame, lookups: list[LookupTable], source: str
                 ) -> tuple[pd.DataFrame, list[MatchReport]]:
    reports = []
    for lookup in lookups:
        frame, report = join_lookup(frame, lookup, source)
        reports.append(report)
    return frame, reports


def join_record(record: dict, lookups: list[LookupTable], rows: list[dict]) -> dict:
    """One lead (a dict) with its lookups' fields added: the service's path, same values as join_lookups.
    `rows[i]` is lookup i's table as {key: {column: value}} (LeadContext builds it once)."""
    out = dict(record)
    for lookup, table in zip(lookups, rows, strict=True):
        value = out.get(lookup.on)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        found = table.get(lookup.aliases.get(text, text))
        if found:
            for column, v in found.items():
                out.setdefault(column, v)
    return out


def shifted_matches(train: dict[str, float], scored: list[MatchReport]) -> list[str]:
    """Tables that scored leads miss far more (or less) often than training rows did, with both shares."""
    found = []
    for report in scored:
        before = train.get(report.table)
        if before is None or not report.rows:
            continue
        now = report.share
        far = abs(now - before) >= SHIFT_POINTS and (now >= SHIFT_RATIO * before or now <= before / SHIFT_RATIO)
        if far:
            found.append(f"lookup {report.table!r}: {now:.0%} of scored leads match no row, against {before:.0%} of "
                         "training rows: the leads differ from the training data, or the table is out of date")
    return found
