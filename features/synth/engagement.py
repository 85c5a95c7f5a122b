"""The synthetic export's accounts and activity history, with planted effects.

Accounts (one fixed table for every period and seed, so the later export joins the same accounts): tier,
employees and annual revenue; the tier moves conversion. About 2% of leads carry an account id the
table does not hold (written in lower case, as hand-typed CRM keys are), which the build's key-match
report shows.

Activities: each lead has a hidden engagement propensity (partly its purchase intent). Before its
prediction time (PREDICTION_DAYS after creation) it visits the pricing page, opens emails, downloads
papers, requests demos or unsubscribes at rates that follow that propensity, and what it did by then
moves its conversion: pricing visits in the last week, all activity weighed by a 7-day half-life, a
demo request, opens, and long silence or an unsubscribe against it (each a function of the engagement
features the default spec computes, so the truth is learnable). After the prediction time it keeps engaging (those
events never reach a training feature), and a 'contract sent' follows every win: the after-the-win
type point-in-time features must not see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREDICTION_DAYS = 3.0  # the default spec's `activities.prediction.age_days`
LOOKBACK_DAYS = 14.0  # anonymous visits matched to the lead once it filled a form
N_ACCOUNTS = 2_000
UNMATCHED_SHARE = 0.02
TIERS = {"enterprise": (0.15, 0.45), "mid-market": (0.35, 0.15), "smb": (0.50, -0.25)}  # share, log-odds effect
# type: (log rate before the prediction time, slope on the propensity, channel, log rate afterwards per 30 days)
TYPES = {
    "pricing page visit": (-0.7, 0.9, "web", -0.3),
    "email open": (0.6, 0.4, "email", 0.8),
    "whitepaper download": (-1.3, 0.3, "web", -1.5),
    "demo request": (-2.4, 0.8, "web", -2.5),
    "unsubscribe": (-3.0, -0.6, "email", -3.5),
    "sales call": (-1.8, 0.2, "phone", 0.2),
}
CONTRACT = "contract sent"


def make_accounts() -> pd.DataFrame:
    """The accounts table (fixed: the same for every period and seed)."""
    rng = np.random.default_rng([2024, 7])
    tiers = np.array(list(TIERS), dtype=object)[rng.choice(len(TIERS), size=N_ACCOUNTS,
                                                           p=[v[0] for v in TIERS.values()])]
    base = pd.Series(tiers).map({"enterprise": 3.5, "mid-market": 2.3, "smb": 1.2}).to_numpy()
    employees = np.round(10 ** (base + rng.normal(0, 0.3, N_ACCOUNTS))).astype(np.int64)
    revenue = np.round(employees * rng.lognormal(11.5, 0.4, N_ACCOUNTS), -3)
    return pd.DataFrame({"account_id": [f"ACC-{i:05d}" for i in range(N_ACCOUNTS)], "tier": tiers,
                         "employees": employees, "annual_revenue": revenue})


def pick_accounts(rng: np.random.Generator, n: int, accounts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(account id per lead as the CRM holds it, log-odds effect of its tier; 0 for an unmatched id)."""
    shares = 1.0 / (np.arange(N_ACCOUNTS) + 30.0)
    picked = rng.choice(N_ACCOUNTS, size=n, p=shares / shares.sum())
    ids = accounts["account_id"].to_numpy(dtype=object)[picked].copy()
    effect = accounts["tier"].map({k: v[1] for k, v in TIERS.items()}).to_numpy(dtype=float)[picked]
    typo = rng.random(n) < UNMATCHED_SHARE
    ids[typo] = np.char.lower(ids[typo].astype(str)).astype(object)
    effect[typo] = 0.0  # the true effect is unknown to anyone once the key is broken: nothing to learn
    return ids, effect


def _events(rng, lead: np.ndarray, start: np.ndarray, days: np.ndarray, kind: str, channel: str) -> pd.DataFrame:
    offset = (rng.random(len(lead)) * days * 86_400).astype("timedelta64[s]")
    return pd.DataFrame({"lead": lead, "at": start + offset, "type": kind, "channel": channel})


def early_activities(rng: np.random.Generator, created: np.ndarray, propensity: np.ndarray) -> pd.DataFrame:
    """Events from LOOKBACK_DAYS before creation to the prediction time."""
    n, parts = len(created), []
    start = created - np.timedelta64(int(LOOKBACK_DAYS * 86_400), "s")
    for kind, (rate, slope, channel, _) in TYPES.items():
        counts = rng.poisson(np.exp(rate + slope * propensity))
        lead = np.repeat(np.arange(n), counts)
        parts.append(_events(rng, lead, start[lead], np.full(len(lead), LOOKBACK_DAYS + PREDICTION_DAYS), kind,
                             channel))
    return pd.concat(parts, ignore_index=True)


def engagement_effect(events: pd.DataFrame, created: np.ndarray) -> np.ndarray:
    """The planted log-odds of what each lead did by its prediction time."""
    n = len(created)
    at_prediction = created + np.timedelta64(int(PREDICTION_DAYS * 86_400), "s")
    age = (at_prediction[events["lead"]] - events["at"].to_numpy()).astype("timedelta64[s]").astype(float) / 86_400
    lead, kind = events["lead"].to_numpy(), events["type"].to_numpy()

    def count(name, weights=None):
        mask = kind == name
        return np.bincount(lead[mask], weights=None if weights is None else weights[mask], minlength=n)

    recent = age < 7.0
    pricing_week = np.bincount(lead[recent & (kind == "pricing page visit")], minlength=n)
    decayed = np.bincount(lead, weights=np.power(0.5, age / 7.0), minlength=n)  # every type, 7-day half-life
    last = np.full(n, 60.0)
    np.minimum.at(last, lead, np.clip(age, 0, None))
    return (0.35 * np.minimum(pricing_week, 3) + 0.2 * np.minimum(decayed, 4.0)
            + 0.06 * np.minimum(count("email open"), 6) + 0.12 * np.minimum(count("whitepaper download"), 3)
            + 0.9 * (count("demo request") > 0) - 1.0 * (count("unsubscribe") > 0) - 0.015 * np.minimum(last, 60.0))


def later_activities(rng: np.random.Generator, created: np.ndarray, propensity: np.ndarray, won: np.ndarray,
                     won_at: np.ndarray, export_at: np.datetime64) -> pd.DataFrame:
    """Events after the prediction time (up to 90 days, while the export was not yet taken), and a
    'contract sent' one to ten days after each win."""
    n, parts = len(created), []
    start = created + np.timedelta64(int(PREDICTION_DAYS * 86_400), "s")
    for kind, (_, slope, channel, rate) in TYPES.items():
        counts = rng.poisson(3.0 * np.exp(rate + slope * propensity))
        lead = np.repeat(np.arange(n), counts)
        parts.append(_events(rng, lead, start[lead], np.full(len(lead), 90.0 - PREDICTION_DAYS), kind, channel))
    winners = np.flatnonzero(won)
    parts.append(_events(rng, winners, won_at[winners] + np.timedelta64(86_400, "s"), np.full(len(winners), 9.0),
                         CONTRACT, "email"))
    events = pd.concat(parts, ignore_index=True)
    return events[events["at"].to_numpy() <= export_at]


def activity_table(events: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    """The activities as a CRM exports them, oldest first."""
    events = events.sort_values(["at", "lead"], kind="stable")
    return pd.DataFrame({"lead_id": ids[events["lead"].to_numpy()], "occurred_at": events["at"].to_numpy(),
                         "activity_type": events["type"].to_numpy(), "channel": events["channel"].to_numpy()})
