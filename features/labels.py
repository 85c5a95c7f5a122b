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
from features.keys import id_text, is_in
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
    still_open: int = 0  # leads whose outcome value is declared open ('outcome.open'): not yet known
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


def as_key(value: object) -> str:
    """Compare label values across types: 1, 1.0, '1' and True all mean the same."""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _is_empty(value: object) -> bool:
    return value is None or str(value).strip() == ""


def outcome_open(values: pd.Series, outcome: OutcomeSpec) -> pd.Series:
    """Rows whose outcome is still open: a value listed in 'outcome.open', or empty when "" is listed."""
    declared = {as_key(v) for v in outcome.open if not _is_empty(v)}
    empty = values.isna() | (values.astype("string").str.strip() == "").fillna(True)
    is_open = values.map(as_key).isin(declared) & ~empty
    if any(_is_empty(v) for v in outcome.open):
        is_open = is_open | empty
    return is_open.astype(bool)


def _keys_offer(outcome: OutcomeSpec) -> str:
    """Both keys a user may need for a value the spec does not declare: never 'count it as lost'."""
    return ("list the values that mean lost under 'outcome.negative' and the values that mean the outcome is "
            "not known yet (a deal still in progress, an empty field: \"\") under 'outcome.open'")


def labels_from_column(leads: pd.DataFrame, ids: pd.Series, outcome: OutcomeSpec, source: str) -> pd.Series:
    """0/1 labels from the outcome column; open rows (see outcome_open) get 0 here and are left out by the
    caller; undeclared or missing values are errors naming a row and listing every undeclared value."""
    column = outcome.column
    require_columns(leads, [column], source, "outcome.column")
    values = leads[column]
    is_open = outcome_open(values, outcome)
    missing = (values.isna() | (values.astype("string").str.strip() == "").fillna(True)) & ~is_open
    if missing.any():
        row = int(missing.to_numpy().nonzero()[0][0])
        raise LeadscoreError(
            f"{source}: outcome column {column!r} is empty in {int(missing.sum())} row(s), e.g. data row "
            f"{row + 1} (lead id {shown(ids.iloc[row])}); if an empty field means the outcome is not known yet, "
            "add \"\" to 'outcome.open'; otherwise fill it in or leave those leads out of the export"
        )
    keys = values.map(as_key)
    positive = {as_key(v) for v in outcome.positive}
    decided = keys[~is_open]
    if outcome.negative is not None:
        negative = {as_key(v) for v in outcome.negative}
        bad = ~keys.isin(positive | negative) & ~is_open
    else:
        # Without a declared negative set, only a two-valued column is unambiguous.
        others = sorted(set(decided.unique()) - positive)
        bad = ~keys.isin(positive) & ~is_open if len(others) > 1 else pd.Series(False, index=keys.index)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        undeclared = sorted(values[bad].astype("string").unique())
        listed = ", ".join(shown(v) for v in undeclared[:50]) + (
            f" and {len(undeclared) - 50:,} more" if len(undeclared) > 50 else "")
        declared = f"'outcome.positive' [{', '.join(shown(v) for v in outcome.positive)}]"
        if outcome.negative is not None:
            declared += f", 'outcome.negative' [{', '.join(shown(v) for v in outcome.negative)}]"
        if outcome.open:
            declared += f" nor 'outcome.open' [{', '.join(shown(v) for v in outcome.open)}]"
        raise LeadscoreError(
            f"{source}: outcome column {column!r} holds {shown(values.iloc[row])} at data row {row + 1} "
            f"(lead id {shown(ids.iloc[row])}), which is not declared in {declared}; undeclared values: {listed}; "
            f"{_keys_offer(outcome)}"
        )
    return (keys.isin(positive) & ~is_open).astype("int8")


def read_wins(outcome: OutcomeSpec) -> tuple[pd.Series, pd.Series | None]:
    """The won-deals table's lead ids (as text) and, when declared, their parsed win dates."""
    source = outcome.describe()
    table = load_table(outcome.path, outcome.sql, "outcomes", outcome.encoding, outcome.sheet,
                       "outcome.sheet")
    needed = [outcome.id] + ([outcome.won_at] if outcome.won_at else [])
    require_columns(table, needed, source, "outcome.id / outcome.won_at")
    won_ids = id_text(table[outcome.id])  # whole numbers as the leads' ids read them, even beside a blank
    won_at = None
    if outcome.won_at:
        won_at = parse_dates(table[outcome.won_at], outcome.date_format, source, outcome.won_at,
                             "outcome.date_format", won_ids)
    return won_ids, won_at


def report_unmatched(report: LabelReport, won_ids: pd.Series, matched: pd.Series, source: str) -> None:
    report.unmatched_outcomes = int((~matched).sum())
    report.unmatched_examples = [str(v) for v in won_ids[~matched].head(5)]
    if report.unmatched_outcomes:
        log.warning(
            "%s: %d outcome(s) match no lead id, e.g. %s",
            source, report.unmatched_outcomes, ", ".join(report.unmatched_examples),
        )


def snapshot_of(report: LabelReport, outcome: OutcomeSpec, as_of: pd.Timestamp | None, latest_created,
                latest_won) -> pd.Timestamp:
    """The snapshot date (--as-of, else the latest date seen) and where it came from, into the report."""
    snapshot = as_of if as_of is not None else max(latest_created, latest_won)
    report.snapshot = str(snapshot)
    if as_of is not None:
        report.snapshot_from = "--as-of"
    elif latest_won >= latest_created:
        report.snapshot_from = f"the latest win date in the outcomes' {outcome.won_at!r} column"
    else:
        report.snapshot_from = "the latest lead creation date"
    return snapshot


def first_wins(won_ids: pd.Series, won_at: pd.Series, matched: pd.Series, snapshot) -> pd.Series:
    """First known win per lead id (wins dated after the snapshot were not known then)."""
    known = matched & ~(won_at > snapshot)
    return pd.DataFrame({"lead": won_ids[known], "won_at": won_at[known]}).groupby("lead")["won_at"].min()


def label_leads(ids: pd.Series, created_at: pd.Series, wins: pd.Series, snapshot,
                horizon_days: int | None) -> tuple[pd.Series, pd.Series, dict]:
    """Labels, known mask and counts for some leads, given every lead's first win: row by row, so the
    Dask engine runs it on each partition with the (small) table of first wins broadcast."""
    # reindex, not map: map of an empty datetime Series fails in pandas 3 (no lead won at all)
    first_win = pd.Series(wins.reindex(ids.astype("string")).to_numpy(), index=ids.index).astype("datetime64[ns]")
    delay = first_win.to_numpy() - created_at.to_numpy()
    counts = {"leads": int(len(created_at)), "leads_after_snapshot": int((created_at > snapshot).sum()),
              "wins_before_creation": int(np.nansum(delay < np.timedelta64(0, "ns"))),
              "won_leads": int(first_win.notna().sum()), "not_yet_known": 0}
    if horizon_days is None:
        return first_win.notna().astype("int8"), pd.Series(True, index=ids.index), counts
    within = first_win.notna().to_numpy() & (delay <= np.timedelta64(horizon_days, "D"))
    known = (created_at + pd.Timedelta(days=horizon_days)) <= snapshot
    counts["not_yet_known"] = int((~known).sum())
    return pd.Series(within.astype("int8"), index=ids.index), known, counts


def require_horizon(outcome: OutcomeSpec) -> None:
    """With creation and win dates, labels count wins within a horizon: an empty one is a question."""
    if outcome.horizon_days is None:
        # Without a horizon, a lead created yesterday counts as lost beside one that had a year to be won.
        raise LeadscoreError(f"{outcome.describe()}: 'outcome.horizon_days' is empty: with creation dates and win "
                             f"dates ({outcome.won_at!r}), a lead counts as won when won within this many days of "
                             "its creation, and leads younger than that are left out until their horizon closes; "
                             "set it in the spec (e.g. 90)")


def labels_from_table(
    ids: pd.Series,
    created_at: pd.Series | None,
    outcome: OutcomeSpec,
    as_of: pd.Timestamp | None,
) -> tuple[pd.Series, pd.Series, LabelReport]:
    """Labels from a won-deals table. Returns (labels, known mask, report)."""
    source = outcome.describe()
    won_ids, won_at = read_wins(outcome)
    report = LabelReport()
    lead_ids = ids.astype("string")
    matched = pd.Series(is_in(won_ids, lead_ids), index=won_ids.index)
    report_unmatched(report, won_ids, matched, source)

    if won_at is None or created_at is None:
        # No dates to reason with: a lead is won when it appears in the table at all.
        labels = lead_ids.isin(set(won_ids[matched])).astype("int8")
        return labels, pd.Series(True, index=ids.index), report

    require_horizon(outcome)
    snapshot = snapshot_of(report, outcome, as_of, created_at.max(), won_at.max())
    report.wins_after_snapshot = int((won_at > snapshot).sum())
    labels, known, counts = label_leads(ids, created_at, first_wins(won_ids, won_at, matched, snapshot), snapshot,
                                        outcome.horizon_days)
    for key, value in counts.items():
        setattr(report, key, value)
    return labels, known, report
