"""Point-in-time labels: from a column of the leads table, or from a table of won deals.

With `created_at` and `horizon_days`, a lead is positive when it was won within the horizon after it
was created. A lead whose horizon has not closed by the snapshot date is not yet known: it is left
out (not counted as lost), and so are its early wins, so recent leads do not bias the positive rate.
Wins dated after the snapshot are ignored: they were not known then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.dates import parse_dates
from features.errors import LeadscoreError
from features.load import load_table, require_columns
from features.messages import shown
from features.spec import OutcomeSpec

log = logging.getLogger(__name__)
WARN_SHARE = 0.01


@dataclass
class LabelReport:
    """What labelling did, so nothing is dropped silently."""

    snapshot: str | None = None
    snapshot_from: str | None = None  # where the snapshot date came from: --as-of or the latest date seen
    not_yet_known: int = 0
    unmatched_outcomes: int = 0
    unmatched_examples: list[str] = field(default_factory=list)
    wins_before_creation: int = 0
    wins_after_snapshot: int = 0
    leads_after_snapshot: int = 0
    won_leads: int = 0
    leads: int = 0

    def summary(self) -> str | None:
        """One line of what point-in-time labelling saw, printed by `leadscore build` and kept in the profile."""
        if self.snapshot is None:
            return None
        return (f"snapshot {self.snapshot} (from {self.snapshot_from}); wins dated before creation: "
                f"{self.wins_before_creation:,} of {self.won_leads:,}; leads created after the snapshot: "
                f"{self.leads_after_snapshot:,} of {self.leads:,}; wins after the snapshot ignored: "
                f"{self.wins_after_snapshot:,}; not yet known: {self.not_yet_known:,}")

    def warnings(self) -> list[str]:
        """Signs of a misread date or a wrong snapshot: more than 1% of wins or of leads out of order."""
        found = []
        if self.won_leads and self.wins_before_creation / self.won_leads > WARN_SHARE:
            found.append(f"{self.wins_before_creation:,} of {self.won_leads:,} wins are dated before their lead "
                         "was created: check 'leads.date_format' and 'outcome.date_format'")
        if self.leads and self.leads_after_snapshot / self.leads > WARN_SHARE:
            found.append(f"{self.leads_after_snapshot:,} of {self.leads:,} leads were created after the snapshot "
                         f"{self.snapshot}: check --as-of and 'leads.date_format'")
        return found


def _as_key(value: object) -> str:
    """Compare label values across types: 1, 1.0, '1' and True all mean the same."""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().lower()


def labels_from_column(leads: pd.DataFrame, ids: pd.Series, outcome: OutcomeSpec, source: str) -> pd.Series:
    """0/1 labels from the outcome column; undeclared or missing values are errors naming a row."""
    column = outcome.column
    require_columns(leads, [column], source, "outcome.column")
    values = leads[column]
    missing = values.isna()
    if missing.any():
        row = int(missing.to_numpy().nonzero()[0][0])
        raise LeadscoreError(
            f"{source}: outcome column {column!r} is empty in {int(missing.sum())} row(s), e.g. data row "
            f"{row + 1} (lead id {shown(ids.iloc[row])}); fill it in or leave those leads out of the export"
        )
    keys = values.map(_as_key)
    positive = {_as_key(v) for v in outcome.positive}
    if outcome.negative is not None:
        negative = {_as_key(v) for v in outcome.negative}
        bad = ~keys.isin(positive | negative)
    else:
        # Without a declared negative set, only a two-valued column is unambiguous.
        others = sorted(set(keys.unique()) - positive)
        bad = pd.Series(False, index=keys.index) if len(others) <= 1 else ~keys.isin(positive | {others[0]})
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        listed = ", ".join(shown(v) for v in sorted(values[bad].astype("string").unique())[:10])
        declared = f"'outcome.positive' [{', '.join(shown(v) for v in outcome.positive)}]"
        if outcome.negative is not None:
            declared += f" nor in 'outcome.negative' [{', '.join(shown(v) for v in outcome.negative)}]"
        else:
            declared += " and the column holds more than one other value, so 'outcome.negative' must list them"
        raise LeadscoreError(
            f"{source}: outcome column {column!r} holds {shown(values.iloc[row])} at data row {row + 1} "
            f"(lead id {shown(ids.iloc[row])}), which is not in {declared}; undeclared values: {listed}"
        )
    return keys.isin(positive).astype("int8")


def labels_from_table(
    ids: pd.Series,
    created_at: pd.Series | None,
    outcome: OutcomeSpec,
    as_of: pd.Timestamp | None,
) -> tuple[pd.Series, pd.Series, LabelReport]:
    """Labels from a won-deals table. Returns (labels, known mask, report)."""
    source = outcome.describe()
    table = load_table(outcome.path, outcome.sql, "outcomes", outcome.encoding)
    needed = [outcome.id] + ([outcome.won_at] if outcome.won_at else [])
    require_columns(table, needed, source, "outcome.id / outcome.won_at")
    won_ids = table[outcome.id].astype("string")
    report = LabelReport()

    lead_ids = ids.astype("string")
    matched = won_ids.isin(set(lead_ids))
    report.unmatched_outcomes = int((~matched).sum())
    report.unmatched_examples = [str(v) for v in won_ids[~matched].head(5)]
    if report.unmatched_outcomes:
        log.warning(
            "%s: %d outcome(s) match no lead id, e.g. %s",
            source, report.unmatched_outcomes, ", ".join(report.unmatched_examples),
        )

    if outcome.won_at is None or created_at is None:
        # No dates to reason with: a lead is won when it appears in the table at all.
        labels = lead_ids.isin(set(won_ids[matched])).astype("int8")
        return labels, pd.Series(True, index=ids.index), report

    won_at = parse_dates(table[outcome.won_at], outcome.date_format, source, outcome.won_at, "outcome.date_format",
                         won_ids)
    snapshot = as_of if as_of is not None else max(created_at.max(), won_at.max())
    report.snapshot = str(snapshot)
    if as_of is not None:
        report.snapshot_from = "--as-of"
    elif won_at.max() >= created_at.max():
        report.snapshot_from = f"the latest win date in the outcomes' {outcome.won_at!r} column"
    else:
        report.snapshot_from = "the latest lead creation date"
    report.leads = int(len(created_at))
    report.leads_after_snapshot = int((created_at > snapshot).sum())
    after = won_at > snapshot
    report.wins_after_snapshot = int(after.sum())
    # First known win per lead.
    wins = (
        pd.DataFrame({"lead": won_ids[matched & ~after], "won_at": won_at[matched & ~after]})
        .groupby("lead")["won_at"].min()
    )
    # reindex, not map: map of an empty datetime Series fails in pandas 3 (no lead won at all)
    first_win = pd.Series(wins.reindex(lead_ids).to_numpy(), index=ids.index).astype("datetime64[ns]")
    delay = first_win.to_numpy() - created_at.to_numpy()
    before_creation = delay < np.timedelta64(0, "ns")
    report.wins_before_creation = int(np.nansum(before_creation))
    report.won_leads = int(first_win.notna().sum())
    if outcome.horizon_days is None:
        labels = first_win.notna().astype("int8")
        return labels, pd.Series(True, index=ids.index), report

    horizon = np.timedelta64(outcome.horizon_days, "D")
    within = first_win.notna().to_numpy() & (delay <= horizon)
    known = (created_at + pd.Timedelta(days=outcome.horizon_days)) <= snapshot
    report.not_yet_known = int((~known).sum())
    labels = pd.Series(within.astype("int8"), index=ids.index)
    return labels, known, report
