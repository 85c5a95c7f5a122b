"""A later period of the synthetic CRM, for the feedback loop: the leads of the next quarter with drift
(more social and paid traffic, and a new campaign the model never saw) and what became of them.

`write_later_export` writes, beside the first period's files (same leads and seed):
  leads.csv            the later CRM export: first-period and later leads together
  outcomes.csv         the CRM's won deals: first-period leads only (up to the later export date); the
                       later leads' outcomes come back through `outcomes import` instead
  new_leads.csv        the later period's leads only: what gets scored
  outcomes_import.csv  their outcomes for `leadscore outcomes import`: lead_id, outcome (won or lost),
                       outcome_at, first_response_hours, deal_value
  truth.csv            the hidden conversion probability of every lead
  accounts.csv         the accounts (the same table as the first export's)
  activities.csv       both periods' activity events, up to the later export date
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.messages import Line, Say, say_nothing
from features.synth.export import CHANNELS, EXPORT_AT, Period, generate_export, write_export, write_frames

NEW_CAMPAIGN = "partner summit 2026"
HORIZON_DAYS = 90
LATER = Period(
    start=EXPORT_AT, end=EXPORT_AT + np.timedelta64(92, "D"), export_at=EXPORT_AT + np.timedelta64(200, "D"),
    channels={**CHANNELS, "social": (0.30, -0.5), "paid search": (0.22, -0.1), "web form": (0.08, 0.2),
              "organic search": (0.05, 0.1), NEW_CAMPAIGN: (0.15, 1.2)},
    id_prefix="M",
)


def later_frames(n_leads: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The later export's frames (see the module doc); first period as `leadscore synth` makes it."""
    first = Period(export_at=LATER.export_at)  # same leads as the first export, wins known until later
    frames1, frames2 = generate_export(n_leads, seed, first), generate_export(n_leads, seed + 1, LATER)
    leads1, won1, truth1 = (frames1[name] for name in ("leads.csv", "outcomes.csv", "truth.csv"))
    leads2, won2, truth2 = (frames2[name] for name in ("leads.csv", "outcomes.csv", "truth.csv"))
    won2 = won2[won2["lead_id"].str.startswith(LATER.id_prefix)]  # the orphan deals are in the first table

    first_win = won2.groupby("lead_id").agg(won_at=("won_at", "min"), amount=("amount", "first"))
    won_at = leads2["lead_id"].map(first_win["won_at"])
    horizon_end = leads2["created_at"] + pd.Timedelta(days=HORIZON_DAYS)
    won = won_at.notna() & (won_at <= horizon_end)
    outcomes = pd.DataFrame({
        "lead_id": leads2["lead_id"], "outcome": np.where(won, "won", "lost"),
        # a loss is known when the horizon closes without a deal
        "outcome_at": pd.to_datetime(np.where(won, won_at, horizon_end)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "first_response_hours": leads2["hours_to_first_response"],
        "deal_value": np.where(won, leads2["lead_id"].map(first_win["amount"]), np.nan),
    })
    return {"leads.csv": pd.concat([leads1, leads2], ignore_index=True), "outcomes.csv": won1,
            "new_leads.csv": leads2, "outcomes_import.csv": outcomes,
            "truth.csv": pd.concat([truth1, truth2], ignore_index=True),
            "accounts.csv": frames1["accounts.csv"],  # one accounts table for every period
            "activities.csv": pd.concat([frames1["activities.csv"], frames2["activities.csv"]], ignore_index=True)}


def write_later_export(out_dir: str | Path, n_leads: int, seed: int = 0) -> Path:
    return write_frames(out_dir, later_frames(n_leads, seed))


def run_synth(out: Path, leads: int, seed: int = 0, date_format: str | None = None,
                    variants: tuple[str, ...] = (), later: bool = False, say: Say = say_nothing) -> Path:
    """`leadscore synth`: the first export (with its variants and date format), or with `later` the
    later one of the feedback loop."""
    folder = write_later_export(out, leads, seed) if later else write_export(
        out, leads, seed, date_format=date_format, variants=variants)
    files = "leads.csv, outcomes.csv, truth.csv, accounts.csv, activities.csv"
    say(Line(f"wrote {leads:,} synthetic leads to {folder}/ ({files})"))
    return folder
