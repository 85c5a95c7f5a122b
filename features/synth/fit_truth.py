"""The fit-only truth: each lead's conversion probability given what is known without its activities.

truth.csv's `p_convert` conditions on everything known at the prediction time, activities included. The
fit-only truth (`p_convert_fit_only`) is the best any model without the activity table can do: the same
log-odds with the engagement term marginalised out. Engagement follows a propensity (0.7 x intent + 0.7 x
independent noise), and intent also moves the recorded fields (need, timeline, budget, visits, time on
site, opens, clicks, forms, webinar), so the marginal is taken over intent's posterior given those fields:

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

SIMULATED = 512  # engagement draws per propensity value
INTENT = np.linspace(-6.0, 6.0, 121)
PROPENSITY = np.linspace(-7.0, 7.0, 141)
LOG_ODDS_POINTS = 240
CHUNK = 20_000  # leads per step: the posterior is leads x intent grid
SEED = (2024, 31)


def _ordinal_log_lik(values: np.ndarray, labels: list[str], cuts: list[float], slope: float, shift: np.ndarray,
                     sigma: float) -> np.ndarray:
    """log P(recorded label | intent) per lead and intent grid point for a label cut from slope x intent +
    shift + sigma x noise (labels[0] the highest); 0 where the value is blank or not one of the labels."""
    upper = np.array([np.inf, *cuts], dtype=float)
    lower = np.array([*cuts, -np.inf], dtype=float)
    index = pd.Series(values, dtype=object).map({label: i for i, label in enumerate(labels)})
    known = index.notna().to_numpy()
    out = np.zeros((len(values), len(INTENT)))
    if not known.any():
        return out
    i = index[known].to_numpy(dtype=int)
    mean = slope * INTENT[None, :] + np.asarray(shift, dtype=float)[known, None]
    p = ndtr((upper[i, None] - mean) / sigma) - ndtr((lower[i, None] - mean) / sigma)
    out[known] = np.log(np.clip(p, 1e-300, None))
    return out


def _poisson_log_lik(counts: np.ndarray, base: float, slope: float) -> np.ndarray:
    log_rate = base + slope * INTENT[None, :]
    return counts[:, None] * log_rate - np.exp(log_rate)


def intent_log_lik(fields: dict[str, np.ndarray], sizes: dict) -> np.ndarray:
    """log P(recorded fields | intent), leads x intent grid (terms that do not depend on intent left out).
    The slopes and cuts are the generator's (features/synth/export.py generate_export)."""
    n = len(fields["need"])
    need = _ordinal_log_lik(fields["need"], ["high", "medium", "low"], [0.6, -0.5], 1.0, np.zeros(n), 0.8)
    timeline = _ordinal_log_lik(fields["timeline"], ["now", "this quarter", "later", "just looking"],
                                [1.0, 0.1, -0.8], 0.7, np.zeros(n), 1.0)
    # Budget reads the true company size; where the size is blank, it is summed over the sizes' shares.
    budget_cut = (fields["budget"], ["high", "medium", "low"], [0.9, -0.1])
    rank = {size: r for r, size in enumerate(sizes)}
    size = pd.Series(fields["size"], dtype=object)
    known_size = size.notna().to_numpy()
    budget = np.zeros((n, len(INTENT)))
    if known_size.any():
        shift = 0.35 * (size.map(rank).fillna(0).to_numpy(dtype=float) - 2)
        budget[known_size] = _ordinal_log_lik(*budget_cut, 0.3, shift, 1.0)[known_size]
    if (~known_size).any():
        shares = np.array([v[0] for v in sizes.values()], dtype=float)
        mixed = sum(share * np.exp(_ordinal_log_lik(*budget_cut, 0.3, np.full(n, 0.35 * (r - 2)), 1.0))
                    for r, share in enumerate(shares / shares.sum()))
        budget[~known_size] = np.log(np.clip(mixed, 1e-300, None))[~known_size]

    visits = fields["visits"].astype(float)
    seen = visits > 0
    on_site = np.zeros((n, len(INTENT)))
    log_seconds = np.log(np.clip(fields["seconds"][seen].astype(float), 0.5, None)) - 0.5 * np.log(visits[seen])
    on_site[seen] = norm.logpdf(log_seconds[:, None], 5.0 + 0.45 * INTENT[None, :], 0.9)
    opens, clicks = fields["opens"].astype(float), fields["clicks"].astype(float)
    click_logit = -1.5 + 0.5 * INTENT[None, :]
    clicked = clicks[:, None] * _log_sigmoid(click_logit) + (opens - clicks)[:, None] * _log_sigmoid(-click_logit)
    webinar_logit = -2.5 + 0.6 * INTENT[None, :]
    chosen = fields["webinar"].astype(bool)[:, None]
    webinar = np.where(chosen, _log_sigmoid(webinar_logit), _log_sigmoid(-webinar_logit))
    webinar[fields["webinar_channel"].astype(bool)] = 0.0  # a webinar lead attended by its channel: says nothing
    return (need + timeline + budget + _poisson_log_lik(visits, 0.9, 0.5) + on_site
            + _poisson_log_lik(opens, 0.7, 0.3) + clicked + _poisson_log_lik(fields["forms"].astype(float), -0.7, 0.5)
            + webinar)


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
    # P(propensity | intent): 0.7 x intent + 0.7 x standard normal, on the propensity grid
    mix = norm.pdf(PROPENSITY[None, :], 0.7 * INTENT[:, None], 0.7)
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
