"""Synthetic CRM export, the embedded default data: leads.csv, outcomes.csv (won deals) and truth.csv.

Leads carry what companies record (channel, company, title, budget, authority, need, timeline,
engagement, consent) plus personal data that must never become a feature. Conversion follows a hidden
log-odds with non-linear effects and interactions (budget x authority; slow first response hurts hot
leads most). The first response happens after the lead is scored, so truth.csv holds each lead's
conversion probability given what is known at creation (the response delay integrated out): the best
any model of the export can do; and `p_convert_fit_only`, the same without the activity history
(features/synth/fit_truth.py): the best a model without activities can do. Deterministic by seed.

Variants (`leadscore synth --variant NAME`, repeatable) stress a learner the way other CRMs do; with none,
the export is unchanged. Each changes the hidden log-odds, so truth.csv stays the true probability:
`rare` (about 2% convert), `linear` (one strong linear signal, `fit_score`, dominates), `high-cardinality`
(an `account` column with 3,000 levels, each with its own effect) and `drift` (channel effects reverse and
the base rate rises over the two years: the newest leads behave unlike the oldest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from features.atomic import replace_atomically
from features.errors import LeadscoreError
from features.synth.engagement import (
    activity_table,
    early_activities,
    engagement_effect,
    later_activities,
    make_accounts,
    pick_accounts,
)
from features.synth.fit_truth import fit_only_truth
from features.synth.intent import (
    BUDGET_CUT,
    BUDGET_MIDDLE_SIZE,
    BUDGET_PER_SIZE,
    CLICK,
    FORMS,
    NEED_CUT,
    OPENS,
    PROPENSITY_INTENT,
    PROPENSITY_NOISE,
    SECONDS,
    SECONDS_SIGMA,
    TIMELINE_CUT,
    VISITS,
    WEBINAR,
)

START = np.datetime64("2024-07-01T00:00:00")
EXPORT_AT = np.datetime64("2026-07-01T00:00:00")  # the export's snapshot: later wins are not in it
BASE_RATE = 0.20
MAX_WIN_DAYS = 88  # every win lands inside the 90-day horizon the synthetic spec uses

# value: (share, log-odds effect)
CHANNELS = {
    "web form": (0.18, 0.2), "organic search": (0.15, 0.1), "paid search": (0.14, -0.1),
    "social": (0.10, -0.5), "content download": (0.10, -0.2), "webinar": (0.07, 0.3),
    "trade show": (0.06, 0.3), "referral": (0.07, 0.8), "partner": (0.06, 0.5), "existing customer": (0.07, 1.0),
}
OUTBOUND_SHARE = {"trade show": 0.6, "partner": 0.3, "existing customer": 0.4}
INDUSTRIES = {
    "software": (0.2, 0.2), "finance": (0.12, 0.1), "healthcare": (0.1, 0.0), "manufacturing": (0.12, 0.0),
    "retail": (0.1, -0.1), "education": (0.08, -0.3), "government": (0.06, -0.2), "logistics": (0.08, 0.0),
    "media": (0.07, -0.1), "energy": (0.07, 0.1),
}
SIZES = {"1-10": (0.2, -0.3), "11-50": (0.25, 0.0), "51-200": (0.22, 0.25), "201-1000": (0.17, 0.3),
         "1001-5000": (0.09, 0.1), "5000+": (0.07, -0.1)}
SENIORITY = {  # share, effect, P(decision authority = yes), titles
    "executive": (0.10, 0.3, 0.8, ["CEO", "CTO", "CFO", "Founder"]),
    "director": (0.15, 0.4, 0.6, ["Director of Sales", "Director of IT", "Head of Marketing"]),
    "manager": (0.30, 0.2, 0.35, ["IT Manager", "Marketing Manager", "Operations Manager"]),
    "individual contributor": (0.38, -0.1, 0.1, ["Engineer", "Analyst", "Sales Representative", "Consultant"]),
    "student": (0.07, -1.2, 0.02, ["Student", "Intern"]),
}
PLACES = {  # country: (share, effect, cities)
    "India": (0.25, -0.1, ["Mumbai", "Delhi", "Bangalore"]),
    "United States": (0.22, 0.1, ["New York", "Chicago", "San Francisco"]),
    "China": (0.15, 0.0, ["Shanghai", "Beijing", "Shenzhen"]), "United Kingdom": (0.1, 0.1, ["London", "Manchester"]),
    "Germany": (0.1, 0.05, ["Berlin", "Munich"]), "Brazil": (0.08, -0.1, ["Sao Paulo", "Rio de Janeiro"]),
    "Singapore": (0.05, 0.1, ["Singapore"]), "United Arab Emirates": (0.05, 0.0, ["Dubai"]),
}
NEED = {"high": 0.9, "medium": 0.3, "low": -0.4}
TIMELINE = {"now": 1.0, "this quarter": 0.5, "later": -0.3, "just looking": -1.0}
BUDGET = {"high": 0.6, "medium": 0.3, "low": -0.2, "unknown": -0.1}
AUTHORITY = {"yes": 0.5, "no": -0.3, "unknown": 0.0}
FIRST = ["Wei", "Priya", "John", "Maria", "Li", "Ahmed", "Anna", "Rahul", "Chen", "Sofia", "James", "Fatima"]
VARIANTS = ("rare", "linear", "high-cardinality", "drift")
ACCOUNTS = 3_000


@dataclass(frozen=True)
class Period:
    """When leads were created, when the export was taken, and the channel mix (default: the first period)."""

    start: np.datetime64 = START
    end: np.datetime64 = EXPORT_AT
    export_at: np.datetime64 = EXPORT_AT
    channels: dict | None = None  # value: (share, log-odds effect); None: CHANNELS
    id_prefix: str = "L"


LAST = ["Wang", "Sharma", "Smith", "Garcia", "Zhang", "Khan", "Muller", "Patel", "Liu", "Silva", "Brown", "Ali"]


def _pick(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    keys = list(table)
    shares = np.array([v[0] for v in table.values()], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=shares / shares.sum())]


def _effect(values: np.ndarray, table: dict, index: int | None = 1) -> np.ndarray:
    lookup = {k: (v[index] if index is not None else v) for k, v in table.items()}
    return pd.Series(values).map(lookup).fillna(0.0).to_numpy(dtype=float)


def _ordinal(score: np.ndarray, cuts: list[float], labels: list[str]) -> np.ndarray:
    """Cut a latent score into ordered labels (labels[0] for the highest)."""
    return np.array(labels, dtype=object)[np.searchsorted(-np.array(cuts), -score, side="right")]


def _blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object).copy()
    out[rng.random(len(values)) < share] = None
    return out


def _response_effect(hours: np.ndarray, hot: np.ndarray) -> np.ndarray:
    """Slow first response costs every lead, hot leads twice as much."""
    return -0.35 * np.log1p(hours) * (1.0 + hot)


def _apply_variants(variants, logit, created, channel, seed: int) -> tuple[np.ndarray, dict, float]:
    """(log-odds, extra columns, base rate) for the variants asked for. Its own random stream, so the
    default export's values do not move when a variant is added to it."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise LeadscoreError(f"--variant {unknown[0]!r} is not known; choose from {', '.join(VARIANTS)}")
    rng, n, extra = np.random.default_rng([seed, 12]), len(logit), {}
    if "linear" in variants:  # one numeric field carries most of the signal, linearly in log-odds
        fit_score = np.round(rng.normal(50.0, 15.0, size=n), 1)
        extra["fit_score"] = fit_score
        logit = 0.25 * (logit - logit.mean()) + 2.0 * (fit_score - 50.0) / 15.0
    if "high-cardinality" in variants:  # long-tailed accounts, each with its own effect
        shares = 1.0 / (np.arange(ACCOUNTS) + 20.0)
        account = rng.choice(ACCOUNTS, size=n, p=shares / shares.sum())
        extra["account"] = np.char.add("ACC-", np.char.zfill(account.astype(str), 5)).astype(object)
        logit = logit + rng.normal(0.0, 1.0, size=ACCOUNTS)[account]
    if "drift" in variants:  # t runs 0 -> 1 over the export: channel effects flip, conversion rises
        t = (created - START).astype(np.int64) / float((EXPORT_AT - START).astype("timedelta64[s]").astype(np.int64))
        logit = logit - 2.0 * t * _effect(channel, CHANNELS) + 1.0 * (t - 0.5)
    return logit, extra, (0.02 if "rare" in variants else BASE_RATE)


def _solve_intercept(logit: np.ndarray, hot: np.ndarray, hour_grid: np.ndarray,
                     base_rate: float = BASE_RATE) -> float:
    """Intercept giving the base rate, found by bisection on a fixed subsample (deterministic)."""
    sample = slice(0, min(len(logit), 50_000))
    base = logit[sample, None] + _response_effect(hour_grid[None, :], hot[sample, None])
    low, high = -10.0, 10.0
    for _ in range(50):
        mid = (low + high) / 2
        rate = (1 / (1 + np.exp(-(base + mid)))).mean()
        low, high = (mid, high) if rate < base_rate else (low, mid)
    return (low + high) / 2


def generate(n_leads: int, seed: int = 0, period: Period | None = None,
             variants=()) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (leads, outcomes, truth) frames for n_leads synthetic leads (of `period`, default the first)."""
    frames = generate_export(n_leads, seed, period, variants)
    return frames["leads.csv"], frames["outcomes.csv"], frames["truth.csv"]


def generate_export(n_leads: int, seed: int = 0, period: Period | None = None, variants=()) -> dict[str, pd.DataFrame]:
    """Every file of the export by name: leads, outcomes, truth, accounts and activities
    (features/synth/engagement.py)."""
    if n_leads < 1:
        raise LeadscoreError("--leads must be at least 1")
    period = period or Period()
    rng = np.random.default_rng(seed)
    n = n_leads
    span = (period.end - period.start).astype("timedelta64[s]").astype(np.int64)
    created = np.sort(period.start + rng.integers(0, span, size=n).astype("timedelta64[s]"))
    intent = rng.normal(size=n)  # hidden purchase intent: drives need, timeline and engagement

    channels = period.channels or CHANNELS
    channel = _pick(rng, channels, n)
    outbound = rng.random(n) < _effect(channel, {k: OUTBOUND_SHARE.get(k, 0.08) for k in channels}, None)
    industry = _pick(rng, INDUSTRIES, n)
    size = _pick(rng, SIZES, n)
    seniority = _pick(rng, SENIORITY, n)
    titles = np.array([SENIORITY[s][3][i % len(SENIORITY[s][3])] for i, s in
                       zip(rng.integers(0, 12, size=n), seniority, strict=True)], dtype=object)
    country = _pick(rng, PLACES, n)
    city = np.array([PLACES[c][2][i % len(PLACES[c][2])] for i, c in
                     zip(rng.integers(0, 6, size=n), country, strict=True)], dtype=object)

    need = _ordinal(NEED_CUT.slope * intent + NEED_CUT.sigma * rng.normal(size=n), NEED_CUT.cuts, NEED_CUT.labels)
    timeline = _ordinal(TIMELINE_CUT.slope * intent + TIMELINE_CUT.sigma * rng.normal(size=n), TIMELINE_CUT.cuts,
                        TIMELINE_CUT.labels)
    size_rank = pd.Series(size).map({k: i for i, k in enumerate(SIZES)}).to_numpy(dtype=float)
    budget = _ordinal(BUDGET_PER_SIZE * (size_rank - BUDGET_MIDDLE_SIZE) + BUDGET_CUT.slope * intent
                      + BUDGET_CUT.sigma * rng.normal(size=n), BUDGET_CUT.cuts, BUDGET_CUT.labels)
    budget[rng.random(n) < 0.15] = "unknown"
    authority = np.where(rng.random(n) < _effect(seniority, SENIORITY, 2), "yes", "no").astype(object)
    authority[rng.random(n) < 0.12] = "unknown"

    visits = rng.poisson(np.exp(VISITS.base + VISITS.slope * intent))
    seconds = np.where(visits > 0, np.round(rng.lognormal(SECONDS.base + SECONDS.slope * intent, SECONDS_SIGMA)
                                            * np.sqrt(visits)), 0)
    pages = np.where(visits > 0, np.round(1 + rng.gamma(2.0, 1.1, size=n), 1), 0.0)
    opens = rng.poisson(np.exp(OPENS.base + OPENS.slope * intent))
    clicks = rng.binomial(opens, 1 / (1 + np.exp(-(CLICK.base + CLICK.slope * intent))))
    forms = rng.poisson(np.exp(FORMS.base + FORMS.slope * intent))
    webinar = (channel == "webinar") | (rng.random(n) < 1 / (1 + np.exp(-(WEBINAR.base + WEBINAR.slope * intent))))
    do_not_call = rng.random(n) < 0.08
    email_consent = rng.random(n) < 0.75
    hours = np.clip(rng.lognormal(np.log(6.0), 1.2, size=n), 0.05, 500.0)

    # Fields as recorded: some missing. The hidden log-odds reads the recorded values.
    need_rec, timeline_rec = _blank(rng, need, 0.06), _blank(rng, timeline, 0.08)
    industry_rec, size_rec = _blank(rng, industry, 0.05), _blank(rng, size, 0.10)
    title_rec, city_rec = _blank(rng, titles, 0.08), _blank(rng, city, 0.15)
    seniority_rec = np.where(pd.isna(title_rec), None, seniority).astype(object)
    hot = ((need_rec == "high") & np.isin(timeline_rec, ["now", "this quarter"])).astype(float)

    logit = (
        _effect(need_rec, NEED, None) + _effect(timeline_rec, TIMELINE, None)
        + _effect(budget, BUDGET, None) + _effect(authority, AUTHORITY, None)
        + 0.7 * ((budget == "high") & (authority == "yes"))
        + _effect(channel, channels) - 0.3 * outbound + _effect(industry_rec, INDUSTRIES)
        + _effect(size_rec, SIZES) + _effect(seniority_rec, SENIORITY) + _effect(country, PLACES)
        + 1.2 * np.tanh(seconds / 900.0) + 0.25 * np.minimum(clicks, 4) + 0.3 * np.minimum(forms, 3)
        + 0.4 * webinar - 0.4 * do_not_call - 0.2 * ~email_consent
    )
    # Accounts and activity history: their own random stream, so the other columns keep their values.
    related = np.random.default_rng([seed, 24])
    accounts = make_accounts()
    account_ids, account_term = pick_accounts(related, n, accounts)
    propensity = PROPENSITY_INTENT * intent + PROPENSITY_NOISE * related.normal(size=n)
    early = early_activities(related, created, propensity)
    engagement = engagement_effect(early, created)
    logit = logit + account_term + engagement
    hour_grid = np.quantile(np.clip(np.random.default_rng(seed + 1).lognormal(np.log(6.0), 1.2, 20_000),
                                    0.05, 500.0), (np.arange(32) + 0.5) / 32)
    extra, base_rate = {}, BASE_RATE
    if variants:
        logit, extra, base_rate = _apply_variants(variants, logit, created, channel, seed)
    logit = logit + _solve_intercept(logit, hot, hour_grid, base_rate)
    truth = np.zeros(n)
    for h in hour_grid:  # P(convert | what is known at creation): the response delay integrated out
        truth += 1 / (1 + np.exp(-(logit + _response_effect(h, hot))))
    truth /= len(hour_grid)
    # The `linear` variant shrinks every term of the log-odds but its own, engagement included.
    engagement_scale = 0.25 if "linear" in variants else 1.0
    recorded_fields = {"need": need_rec, "timeline": timeline_rec, "budget": budget, "size": size_rec,
                       "visits": visits, "seconds": seconds, "opens": opens, "clicks": clicks, "forms": forms,
                       "webinar": webinar, "webinar_channel": channel == "webinar"}
    fit_truth = fit_only_truth(logit - engagement_scale * engagement, hot, _response_effect, hour_grid,
                               engagement_scale, recorded_fields, SIZES)
    won = rng.random(n) < 1 / (1 + np.exp(-(logit + _response_effect(hours, hot))))

    ids = np.char.add(period.id_prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    first, last = rng.choice(FIRST, size=n), rng.choice(LAST, size=n)
    leads = pd.DataFrame({
        "lead_id": ids, "created_at": created, "channel": channel,
        "direction": np.where(outbound, "outbound", "inbound"), "industry": industry_rec,
        "company_size": size_rec, "job_title": title_rec, "seniority": seniority_rec,
        "country": country, "city": city_rec, "budget": budget, "decision_authority": authority,
        "need": need_rec, "purchase_timeline": timeline_rec, "website_visits": visits,
        "time_on_site_sec": seconds, "pages_per_visit": pages, "email_opens": opens,
        "email_clicks": clicks, "form_fills": forms, "webinar_attended": np.where(webinar, "yes", "no"),
        "hours_to_first_response": np.round(hours, 2), "do_not_call": np.where(do_not_call, "yes", "no"),
        "email_consent": np.where(email_consent, "yes", "no"), "account_id": account_ids, **extra,
        "contact_name": pd.Series(first).str.cat(pd.Series(last), sep=" ").to_numpy(),
        "email": (pd.Series(first).str.lower() + "." + pd.Series(last).str.lower()
                  + pd.Series(np.arange(n) % 997).astype(str) + "@example.com").to_numpy(),
        "phone": ("+1 555 " + pd.Series(rng.integers(1_000_000, 9_999_999, size=n)).astype(str)).to_numpy(),
    })

    delay = 1 + np.minimum(rng.gamma(2.0, 12.0, size=n), MAX_WIN_DAYS - 2) + rng.random(n)
    won_at = created + (delay * 86_400).astype("timedelta64[s]")
    recorded = won & (won_at <= period.export_at)
    orphans = max(1, n // 500)  # deals whose lead was deleted from the CRM: the builder must report them
    outcomes = pd.DataFrame({
        "deal_id": np.char.add("D", np.arange(1, int(recorded.sum()) + orphans + 1).astype(str)),
        "lead_id": np.concatenate([ids[recorded], [f"X{i:07d}" for i in range(orphans)]]),
        "won_at": np.concatenate([won_at[recorded], START + np.arange(orphans).astype("timedelta64[D]")]),
        "amount": np.round(np.concatenate([rng.lognormal(8.5, 0.7, int(recorded.sum())), np.full(orphans, 1000.0)]), 2),
    })
    later = later_activities(related, created, propensity, recorded, won_at, period.export_at)
    events = pd.concat([early[early["at"].to_numpy() <= period.export_at], later], ignore_index=True)
    return {"leads.csv": leads, "outcomes.csv": outcomes,
            "truth.csv": pd.DataFrame({"lead_id": ids, "p_convert": np.round(truth, 6),
                                       "p_convert_fit_only": np.round(fit_truth, 6)}),
            "accounts.csv": accounts, "activities.csv": activity_table(events, ids)}


def write_export(out_dir: str | Path, n_leads: int, seed: int = 0, variants=(),
                 date_format: str | None = None) -> Path:
    """Generate and write leads.csv, outcomes.csv and truth.csv; files appear whole or not at all.

    date_format: strftime pattern for created_at and won_at (e.g. "%d-%m-%Y %H:%M", as many CRMs export);
    None writes ISO 8601. variants: harder data (see generate).
    """
    frames = generate_export(n_leads, seed, variants=variants)
    if date_format:
        dated = (("leads.csv", "created_at"), ("outcomes.csv", "won_at"), ("activities.csv", "occurred_at"))
        for name, column in dated:
            frames[name][column] = frames[name][column].dt.strftime(date_format)
    return write_frames(out_dir, frames)


def write_frames(out_dir: str | Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write CSV files into a folder, each whole or not at all."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        replace_atomically(out / name, lambda temp, table=table: pacsv.write_csv(table, temp))
    return out


def ensure_export(spec) -> None:
    """Generate a synthetic spec's export when its files are missing, so commands work on a fresh clone."""
    if spec.synthetic is None:
        return
    paths = [p for p in (spec.leads.path, spec.outcome.path) if p is not None]
    paths += [t.path for t in [*spec.lookups, *([spec.activities] if spec.activities else [])] if t.path]
    if all(Path(p).is_file() for p in paths):
        return
    write_export(spec.synthetic.out, spec.synthetic.leads, spec.synthetic.seed)
