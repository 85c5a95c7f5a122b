"""One answer per lead, decided the same way by batch scoring and the service: when the rules answer
instead of the model, which band a score is in and what that band means, and the next step per band.

The band follows from the score shown beside it: hot and warm are shares of leads ranked by score, and
a lead whose probability is at or above the average lead's is never cold; the answer carries the
lead's percentile, the average lead's score and a sentence saying what its band means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from training.report.texts import ACTIONS, BAND_NOTES, DEAL_ACTIONS

MAX_MISSING_SHARE = 0.5  # a lead missing more of the model's features than this is answered by the rules
RULE_BANDS = {"hot": 70.0, "warm": 40.0}  # rule points
TOO_MANY_MISSING = "too_many_missing_features"
_CHANNELS = {"lead": {"hot": ("call", 1), "warm": ("call", 24), "cold": ("email", None)},
             "opportunity": {"hot": ("meeting", 168), "warm": ("review", 168), "cold": ("call", 336)}}


def too_many_missing(matrix: np.ndarray, max_share: float = MAX_MISSING_SHARE,
                     counted: np.ndarray | None = None) -> np.ndarray:
    """Rows of the model's matrix that lack more than `max_share` of its features (of the `counted` ones:
    see `lead_columns`)."""
    missing = np.isnan(np.asarray(matrix, dtype=float))
    return (missing if counted is None else missing[:, counted]).mean(axis=1) > max_share


def lead_columns(pipeline) -> np.ndarray | None:
    """Which of the model's columns a lead carries itself, as a mask over the encoder's columns; None when
    every column counts. Columns joined from a lookup or computed from activities are not counted: one
    blank account key empties every account column, and a lead without activities has no 'days since',
    both cases the model was trained on, so they do not make a lead too empty for the model."""
    context = dict(pipeline.steps).get("context")
    if context is None:
        return None
    made = context.computed_names()
    own = np.array([str(name) not in made for name in pipeline.named_steps["encode"].feature_names_in_])
    return own if own.any() else None


def default_actions(record: str) -> dict[str, dict]:
    """The next step per band that fits the kind of record: a new lead or an opportunity already open."""
    texts = DEAL_ACTIONS if record == "opportunity" else ACTIONS
    return {band: {"channel": channel, "within_hours": hours, **texts[band]}
            for band, (channel, hours) in _CHANNELS["opportunity" if record == "opportunity" else "lead"].items()}


def follow_up_actions(record: str = "lead", recorded: Mapping[str, Mapping] | None = None,
                      configured: Mapping[str, Mapping] | None = None) -> Mapping[str, Mapping]:
    """The next step per band that applies, decided here alone for the model's metadata (`recorded`: its
    spec's actions), the service's answers and `follow_up_by`, and monitor's hot deadline: the service
    config's actions (`configured`, even when empty), else the model's recorded ones, else the defaults for
    its kind of record. Actions as plain dicts (channel, within_hours, en, zh); read them, never change them."""
    if configured is not None:
        return configured
    return recorded or default_actions(record)


def actions_for(spec) -> Mapping[str, Mapping]:
    """The actions a model of this spec records (features/spec.py `actions`, else its record's defaults)."""
    recorded = {band: action.model_dump() for band, action in spec.actions.items()} if spec.actions else None
    return follow_up_actions(spec.record, recorded)


def percentile(p: float, quantiles: list[float] | None) -> int | None:
    """The share of held-out leads (in %) this probability is above; None without recorded percentiles."""
    if not quantiles or p is None or not math.isfinite(p):
        return None
    return int(np.clip(np.searchsorted(np.asarray(quantiles), p, side="left") - 1, 0, 100))


def _whole(value: float) -> str:
    return f"{value:.0f}"


def band_note(band: str, score: float, bands, lang: str = "en", record: str = "lead",
              rank: int | None = None) -> str | None:
    """What a model band means beside its score (`bands`: the model's Bands)."""
    t = BAND_NOTES["zh" if lang == "zh" else "en"]
    average = getattr(bands, "average", None)
    if band not in ("hot", "warm", "cold") or average is None or rank is None:
        return None
    hot, warm = (bands.hot_share or 0.10) * 100, (bands.warm_share or 0.30) * 100
    words = {"record": t["record"].get(record, t["record"]["lead"]),
             "records": t["records"].get(record, t["records"]["lead"])}
    meaning = t[band].format(hot=_whole(hot), warm=_whole(warm), top=_whole(hot + warm), **words)
    return t["model"].format(score=_whole(score), average=_whole(average * 100), percentile=rank, meaning=meaning,
                             **words)


def rule_note(score: float, why: str, rule_bands: Mapping[str, float] = RULE_BANDS, lang: str = "en") -> str:
    """What a rules answer's score and band mean."""
    t = BAND_NOTES["zh" if lang == "zh" else "en"]
    return t["rules"].format(score=_whole(score), why=why, hot=_whole(rule_bands["hot"]),
                             warm=_whole(rule_bands["warm"]))
