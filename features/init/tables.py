"""`leadscore init --table FILE`: the other tables of a CRM export, proposed as `lookups` or `activities`.

A lead is rarely one row of one table: its account, product or rep sit in tables of their own, and what it
did sits in an activity history. For each extra table init reads its values and proposes, never decides
silently:
- an activity table: a column whose values are the leads' ids, several rows per lead, and a date column;
  the type column is the text column whose name reads like a kind of event, or the one with fewest
  values. The prediction time is a CHECK: it decides what counts as known;
- a lookup: a column unique in the table (its key) whose values most of a leads column's rows hold (the
  via column); failing that, a column of a lookup already proposed (a chain, 'account.parent_id');
  a column of the table holding its own keys (a parent account) is offered as a commented chain;
- neither: a comment saying so, never a guess.
Every proposal carries its figures (the share of rows that match) so the reader can judge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.dates import EPOCH_UNITS, ISO
from features.init.draft import _date_columns, _is_unique, _looks_like_pii, _names_people, _text, quoted, quoted_list
from features.init.epoch import epoch_comment
from features.load import load_table
from features.names import safe_name

MIN_MATCH = 0.5  # share of rows whose value the other table holds, below which two columns are not related
SAMPLE = 100_000
_TYPE_NAME = re.compile(r"type|kind|activity|event|action|category|类型|活动|事件|动作", re.IGNORECASE)
_CHANNEL_NAME = re.compile(r"channel|medium|source|utm|渠道|来源", re.IGNORECASE)
_RESERVED_NAMES = {"leads", "outcome"}


@dataclass
class Tables:
    """The proposals, as YAML lines and what init says about each table."""

    lookups: list[str] = field(default_factory=list)  # YAML lines under `lookups:`
    activities: list[str] = field(default_factory=list)  # YAML lines of the `activities:` block
    notes: list[str] = field(default_factory=list)  # one sentence per table: what it was taken for
    display: list[str] = field(default_factory=list)  # joined columns as the build names them ('account sector')
    people: list[tuple[str, str]] = field(default_factory=list)  # joined columns naming people ('sales_team manager')

    def lines(self) -> list[str]:
        out = []
        if self.lookups:
            out += ["lookups:  # related tables joined onto each lead by a key; their columns read 'NAME column'",
                    *self.lookups]
        out += self.activities
        return out


def _keys(values: pd.Series) -> set:
    """Every value of a key column (a sample would miss most keys of a large table)."""
    return set(_text(values).to_numpy(dtype=object))


def _share_held(sample: np.ndarray, keys: set) -> float:
    """Share of the sampled non-empty values that the key set holds (Python sets: fast on arrow strings)."""
    return float(np.mean([v in keys for v in sample])) if len(sample) else 0.0


def _table_name(path: str, taken: set[str]) -> str:
    """A lookup name from the file name, singular where plainly plural ('accounts' -> 'account')."""
    name = safe_name(Path(path).stem).lower() or "table"
    for plural, singular in (("ies", "y"), ("s", "")):
        if name.endswith(plural) and len(name) > len(plural) + 2 and not name.endswith("ss"):
            name = name[: -len(plural)] + singular
            break
    base, n = name, 2
    while name in taken or name in _RESERVED_NAMES:
        name, n = f"{base}_{n}", n + 1
    return name


def _unique_columns(table: pd.DataFrame) -> list[str]:
    dates = _date_columns(table.head(2000))
    return [c for c in table.columns if c not in dates and table[c].dtype.kind != "f" and _is_unique(table[c])]


def _best_match(columns: dict[str, pd.Series], keys: dict[str, set]) -> tuple[str, str, float] | None:
    """(column, key, share) of the pair where the column's values are most often a key of the table."""
    best = None
    for column, values in columns.items():
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        sample = _text(values).head(SAMPLE).to_numpy(dtype=object)  # the values tested, once per column
        for key, held in keys.items():
            share = _share_held(sample, held)
            if share >= MIN_MATCH and (best is None or share > best[2]):
                best = (column, key, share)
    return best


def _activity_lines(path: str, table: pd.DataFrame, lead_column: str, share: float) -> list[str] | None:
    """The `activities:` block for a table whose `lead_column` holds the leads' ids, or None without a date."""
    dates = _date_columns(table.drop(columns=[lead_column]).head(SAMPLE))
    if not dates:
        return None
    at = max(dates, key=lambda c: table[c].notna().mean())
    text = [c for c in table.columns if c not in (lead_column, at) and not pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c]) and not _looks_like_pii(c, table[c].head(SAMPLE))]
    distinct = {c: table[c].head(SAMPLE).nunique(dropna=True) for c in text}
    kinds = [c for c in text if 2 <= distinct[c] <= 200]
    channels = [c for c in kinds if _CHANNEL_NAME.search(c)]
    types = sorted((c for c in kinds if c not in channels), key=lambda c: (not _TYPE_NAME.search(c), distinct[c]))
    per_lead = table[lead_column].value_counts().mean()
    lines = [f"activities:  # {path}: {share:.0%} of its rows name a lead in {quoted(lead_column)}, "
             f"{per_lead:.1f} rows per lead on average",
             f"  path: {quoted(path)}", f"  lead_id: {quoted(lead_column)}", f"  at: {quoted(at)}"]
    reading = dates[at]
    if reading != ISO and reading.ambiguous:
        day, month = reading.ambiguous
        lines.append(f"  date_format: null  # CHECK: {reading.example!r} reads day first ({day}) or month first "
                     f"({month}): set one")
    elif reading != ISO and reading.fmt in EPOCH_UNITS:
        lines.append(f"  date_format: {quoted(reading.fmt)}  # {epoch_comment(reading)}")
    elif reading != ISO and reading.fmt not in (None, ISO):
        lines.append(f"  date_format: {quoted(reading.fmt)}  # proven by the values (some day above 12)")
    if types:
        others = f"; other candidates: {', '.join(map(repr, types[1:4]))}" if len(types) > 1 else ""
        lines.append(f"  type: {quoted(types[0])}  # CHECK: the kind of each activity ({distinct[types[0]]} values)"
                     f"{others}")
    else:
        lines.append('  type: "FILL IN"  # the column saying what kind of activity each row is')
    if channels:
        lines.append(f"  channel: {quoted(channels[0])}  # first and last touch channel")
    lines += ["  windows: [7, 30, 90]  # days: counts per activity type in each window",
              "  half_life_days: 14  # the decayed engagement sum halves every this many days",
              "  prediction: {age_days: 3}  # CHECK: each training row's prediction time (days after creation): "
              "only activities before it count; or snapshots: {snapshot_every_days: 7, horizon_days: 30}"]
    return lines


def propose_tables(leads: pd.DataFrame, id_column: str | None, paths: list[str], encoding: str | None,
                   never: set[str]) -> Tables:
    """Proposals for the extra tables at `paths`; `never` are leads columns that are not features (id, pii)."""
    found = Tables()
    names: set[str] = set()
    lead_ids = _keys(leads[id_column]) if id_column else set()
    columns = {c: leads[c] for c in leads.columns if c not in never or c == id_column}
    chained: dict[str, pd.DataFrame] = {}  # lookup name -> its table, for chains
    for path in paths:
        table = load_table(path, None, f"--table {path}", encoding)
        table.columns = [str(c) for c in table.columns]
        uniques = _unique_columns(table)
        keys = {c: _keys(table[c]) for c in uniques}
        activity = None
        if lead_ids:
            repeated = [c for c in table.columns if c not in uniques]
            best = _best_match({c: table[c] for c in repeated}, {"id": lead_ids})
            activity = best and _activity_lines(path, table, best[0], best[2])
        if activity and not found.activities:
            found.activities = activity
            found.notes.append(f"{path}: proposed as the activity table (check its type column and prediction time)")
            continue
        if activity:
            found.notes.append(f"{path}: another activity table; a spec holds one: not used")
            continue
        match = _best_match(columns, keys)
        via = match and match[0]
        if match is None:  # a chain through a lookup already proposed
            chain = _best_match({f"{n}.{c}": t[c] for n, t in chained.items() for c in t.columns}, keys)
            match, via = chain, chain and chain[0]
        if match is None:
            found.notes.append(f"{path}: no column of it holds the leads' ids or the values of a leads column: "
                               "not used; join it by hand under 'lookups' if it belongs to the leads")
            found.lookups.append(f"  # {quoted(path)}: no column matched the leads'; not used")
            continue
        _, key, share = match
        name = _table_name(path, names)
        names.add(name)
        pii = [c for c in table.columns if c != key and _looks_like_pii(c, table[c].head(SAMPLE))]
        kept = [c for c in table.columns if c != key and c not in pii]
        entry = f"  - {{name: {quoted(name)}, path: {quoted(path)}, key: {quoted(key)}, via: {quoted(via)}"
        if pii:
            entry += f", columns: {quoted_list(kept)}"
        left_out = f"; personal data left out: {', '.join(pii)}" if pii else ""
        found.lookups.append(entry + f"}}  # CHECK: {share:.0%} of the values of {quoted(via)} are keys "
                                     f"({quoted(key)}) of {path}{left_out}")
        found.display += [f"{name} {c}" for c in kept]
        found.people += [(f"{name} {c}", f"{why} (in {path})") for c in kept
                         for why in [_names_people(c, table[c].head(SAMPLE))] if why]
        chained[name] = table[kept]
        parent = _best_match({c: table[c] for c in kept}, {key: keys[key]})
        if parent is not None:
            found.lookups.append(f"  # - {{name: {quoted('parent_' + name)}, path: {quoted(path)}, key: {quoted(key)}, "
                                 f"via: {quoted(name + '.' + parent[0])}}}  # CHECK: {parent[0]!r} holds keys of the "
                                 "same table (a parent); uncomment to bring the parent's columns too")
        found.notes.append(f"{path}: proposed as lookup {name!r} (key {key!r}, joined by {via!r}, {share:.0%} of rows "
                           "match)")
    return found
