"""How a synthetic lead's hidden purchase intent (standard normal) shows in its recorded fields and its
engagement: one home for the generator (export.py draws the fields from intent) and the fit-only truth
(fit_truth.py reads intent back from the fields)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ordinal:
    """A label cut from slope x intent + shift + sigma x standard normal noise; labels[0] for the highest."""

    labels: tuple[str, ...]
    cuts: tuple[float, ...]
    slope: float
    sigma: float = 1.0


@dataclass(frozen=True)
class Linear:
    """base + slope x intent: a log rate (Poisson counts), a log-odds (yes/no) or a log-normal's mean."""

    base: float
    slope: float


NEED_CUT = Ordinal(("high", "medium", "low"), (0.6, -0.5), slope=1.0, sigma=0.8)
TIMELINE_CUT = Ordinal(("now", "this quarter", "later", "just looking"), (1.0, 0.1, -0.8), slope=0.7)
BUDGET_CUT = Ordinal(("high", "medium", "low"), (0.9, -0.1), slope=0.3)  # shifted by company size:
BUDGET_PER_SIZE = 0.35  # per rank of the company size (SIZES' order), from the middle rank
BUDGET_MIDDLE_SIZE = 2
VISITS = Linear(0.9, 0.5)  # log of the mean number of visits
SECONDS = Linear(5.0, 0.45)  # mean of log(time on site / sqrt(visits)), when there was a visit
SECONDS_SIGMA = 0.9
OPENS = Linear(0.7, 0.3)  # log of the mean number of email opens
CLICK = Linear(-1.5, 0.5)  # log-odds that an open is clicked
FORMS = Linear(-0.7, 0.5)  # log of the mean number of form fills
WEBINAR = Linear(-2.5, 0.6)  # log-odds of attending a webinar, for a lead not from the webinar channel
PROPENSITY_INTENT = 0.7  # engagement propensity: this much intent plus as much independent noise
PROPENSITY_NOISE = 0.7
