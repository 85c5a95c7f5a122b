"""The fit-only truth: each lead's conversion probability given what is known without its activities.

truth.csv's `p_convert` conditions on everything known at the prediction time, activities included. The
fit-only truth (`p_convert_fit_only`) is the best any model without the activity table can do: the same
log-odds with the engagement term marginalised out. Engagement follows a propensity (part intent, part
independent noise), and intent also moves the recorded fields (need, timeline, budget, visits, time on
site, opens, clicks, forms, webinar; features/synth/intent.py), so the marginal is taken over intent's
posterior given those fields:

    P(win | fields) = E_intent|fields E_propensity|intent E_activities|propensity E_response[sigmoid(...)]

How each part is computed, and why:
- intent's posterior: exact likelihoods of the recorded fields (normal CDFs for the ordinal fields, Poisson,
  binomial and log-normal terms; a blank field or an 'unknown' budget says nothing; a blank company size is
  summed over its shares), on a grid of intent values with the standard normal prior. Exact up to the grid
  and to the rounding of time on site, which the density ignores.
- propensity given intent: normal, integrated on a grid of propensity values.
- the engagement log-odds given a propensity has no closed form (counts, recency and decay of random
  events), so it is simulated with the generator's own functions (features/synth/engagement.py) from a
  fixed seed: SIMULATED draws per propensity value, the same for every export. Each lead averages over
  many propensity values, so the simulation's own error stays far below the differences the benchmark
  compares (measured with another seed: docs/benchmarks.md, "Engagement on the synthetic export").
- the first-response delay: the truth's own hour grid, each simulated draw taking one hour in turn.
- the lead's own log-odds: interpolated on a fine grid (linear; the error is far below the simulation's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr
from scipy.stats import norm

from features.synth.engagement import early_activities, engagement_effect
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
    Linear,
    Ordinal,
)

SIMULATED = 512  # engagement draws per propensity value
INTENT = np.linspace(-6.0, 6.0, 121)
PROPENSITY = np.linspace(-7.0, 7.0, 141)
LOG_ODDS_POINTS = 240
CHUNK = 20_000  # leads per step: the posterior is leads x intent grid
SEED = (2024, 31)


def _ordinal_log_lik(values: np.ndarray, cut: Ordinal, shift: np.ndarray) -> np.ndarray:
    """log P(recorded label | intent) per lead and intent grid point for a label cut from slope x intent +
    shift + sigma x noise; 0 where the value is blank or not one of the labels ('unknown')."""
    slope, sigma = cut.slope, cut.sigma
    upper = np.array([np.inf, *cut.cuts], dtype=float)
    lower = np.array([*cut.cuts, -np.inf], dtype=float)
    index = pd.Series(values, dtype=object).map({label: i for i, label in enumerate(cut.labels)})
    known = index.notna().to_numpy()
    out = np.zeros((len(values), len(INTENT)))
    if not known.any():
        return out
    i = index[known].to_numpy(dtype=int)
    mean = slope * INTENT[None, :] + np.asarray(shift, dtype=float)[known, None]
    p = ndtr((upper[i, None] - mean) / sigma) - ndtr((lower[i, None] - mean) / sigma)
    out[known] = np.log(np.clip(p, 1e-300, None))
    return out


def _poisson_log_lik(counts: np.ndarray, log_mean: Linear) -> np.ndarray:
    log_rate = _at_intent(log_mean)
    return counts[:, None] * log_rate - np.exp(log_rate)


def intent_log_lik(fields: dict[str, np.ndarray], sizes: dict) -> np.ndarray:
    """log P(recorded fields | intent), leads x intent grid (terms that do not depend on intent left out).
    The slopes and cuts are the generator's (features/synth/intent.py)."""
    n = len(fields["need"])
    need = _ordinal_log_lik(fields["need"], NEED_CUT, np.zeros(n))
    timeline = _ordinal_log_lik(fields["timeline"], TIMELINE_CUT, np.zeros(n))
    # Budget reads the true company size; where the size is blank, it is summed over the sizes' shares.
    rank = {size: r for r, size in enumerate(sizes)}
    size = pd.Series(fields["size"], dtype=object)
    known_size = size.notna().to_numpy()
    budget = np.zeros((n, len(INTENT)))
    if known_size.any():
        shift = BUDGET_PER_SIZE * (size.map(rank).fillna(0).to_numpy(dtype=float) - BUDGET_MIDDLE_SIZE)
        budget[known_size] = _ordinal_log_lik(fields["budget"], BUDGET_CUT, shift)[known_size]
    if (~known_size).any():
        shares = np.array([v[0] for v in sizes.values()], dtype=float)
        mixed = sum(share * np.exp(_ordinal_log_lik(fields["budget"], BUDGET_CUT,
                                                    np.full(n, BUDGET_PER_SIZE * (r - BUDGET_MIDDLE_SIZE))))
                    for r, share in enumerate(shares / shares.sum()))
        budget[~known_size] = np.log(np.clip(mixed, 1e-300, None))[~known_size]

    visits = fields["visits"].astype(float)
    seen = visits > 0
    on_site = np.zeros((n, len(INTENT)))
    log_seconds = np.log(np.clip(fields["seconds"][seen].astype(float), 0.5, None)) - 0.5 * np.log(visits[seen])
    on_site[seen] = norm.logpdf(log_seconds[:, None], _at_intent(SECONDS), SECONDS_SIGMA)
    opens, clicks = fields["opens"].astype(float), fields["clicks"].astype(float)
    clicked = (clicks[:, None] * _log_sigmoid(_at_intent(CLICK))
               + (opens - clicks)[:, None] * _log_sigmoid(-_at_intent(CLICK)))
    chosen = fields["webinar"].astype(bool)[:, None]
    webinar = np.where(chosen, _log_sigmoid(_at_intent(WEBINAR)), _log_sigmoid(-_at_intent(WEBINAR)))
    webinar[fields["webinar_channel"].astype(bool)] = 0.0  # a webinar lead attended by its channel: says nothing
    return (need + timeline + budget + _poisson_log_lik(visits, VISITS) + on_site + _poisson_log_lik(opens, OPENS)
            + clicked + _poisson_log_lik(fields["forms"].astype(float), FORMS) + webinar)


def _at_intent(line: Linear) -> np.ndarray:
    return line.base + line.slope * INTENT[None, :]


def _log_sigmoid(logit: np.ndarray) -> np.ndarray:
    """log(sigmoid(logit)), stable."""
    return -np.logaddexp(0.0, -logit)


def engagement_draws() -> np.ndarray:
    """SIMULATED engagement log-odds per propensity grid value, from the generator's own functions."""
    rng = np.random.default_rng(list(SEED))
    propensity = np.repeat(PROPENSITY, SIMULATED)
    created = np.full(len(propensity), np.datetime64("2024-01-01T00:00:00"), dtype="datetime64[s]")
    return engagement_effect(early_activities(rng, created, propensity), created).reshape(len(PROPENSITY), SIMULATED)


def fit_only_truth(fit_log_odds: np.ndarray, hot: np.ndarray, response, hour_grid: np.ndarray,
                   engagement_scale: float, fields: dict[str, np.ndarray], sizes: dict) -> np.ndarray:
    """P(win | recorded fields), engagement marginalised. `fit_log_odds`: each lead's log-odds without the
    engagement term (scaled by `engagement_scale` in the final log-odds); `response(hours, hot)`: the
    first-response effect, integrated over `hour_grid` as the truth does."""
    draws = engagement_scale * engagement_draws()  # propensity x draw
    hours = hour_grid[np.arange(SIMULATED) % len(hour_grid)]
    grid = np.linspace(fit_log_odds.min() - 0.1, fit_log_odds.max() + 0.1, LOG_ODDS_POINTS)
    # P(propensity | intent) on the propensity grid
    mix = norm.pdf(PROPENSITY[None, :], PROPENSITY_INTENT * INTENT[:, None], PROPENSITY_NOISE)
    mix /= mix.sum(axis=1, keepdims=True)
    table = {}
    for h in (0.0, 1.0):
        # win probability per log-odds grid value and propensity, the draws and hours averaged
        by_propensity = np.stack([expit(grid[:, None] + draws[j][None, :] + response(hours, h)[None, :]).mean(axis=1)
                                  for j in range(len(PROPENSITY))], axis=1)
        table[h] = by_propensity @ mix.T  # log-odds grid x intent grid
    prior = norm.logpdf(INTENT)
    out = np.empty(len(fit_log_odds))
    for start in range(0, len(out), CHUNK):
        part = slice(start, start + CHUNK)
        log_post = prior[None, :] + intent_log_lik({k: v[part] for k, v in fields.items()}, sizes)
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        for h in (0.0, 1.0):
            rows = np.flatnonzero(hot[part] == h) + start
            if len(rows) == 0:
                continue
            at = np.stack([np.interp(fit_log_odds[rows], grid, table[h][:, k]) for k in range(len(INTENT))], axis=1)
            out[rows] = np.sum(at * post[rows - start], axis=1)
    return out
