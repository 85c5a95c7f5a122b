"""Columns that name people (spec `features.people`: owners, sales reps) on the managers' page.

A person's effect is shown only where it is beyond noise, and always beside the sentence that it
describes the data (the leads that person was given, in that period), not the person's skill.

A person's effect is the mean impact of their value (score points, TreeSHAP on a sample) minus that of the
typical person: the lead-weighted median of the column's values. Impacts are relative to the average lead,
so one strong owner would otherwise make every other owner look below average; against the median,
owners who do not differ show about 0.

The rule (`beyond_noise`): a value is shown when at least MIN_LEADS labelled leads hold it and its
effect is larger than NOISE_Z standard errors of the difference of two conversion rates, taken at the
training conversion rate, over its leads and the typical person's:
100 * sqrt(rate * (1 - rate) * (1 / leads + 1 / typical_leads)). That is how far two people's
conversion differs by chance alone, so an effect within it is one the outcomes cannot tell from luck.
The spread of a value's SHAP points across its leads is not the measure: the model gives nearly the
same points to every lead of one owner, so that interval is narrow even when the owner's effect was
learned from chance.

Values within noise are never named on the page: the section counts them, the drivers chart does not
name them beside the bar, and a people column has no dependence view (this section replaces it).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from training.report.texts import PEOPLE

MIN_LEADS = 30
NOISE_Z = 2.0
EXPLAIN_ROWS = 5000  # leads explained for the mean impact per value; counts come from every labelled lead


def noise_points(rate: float, leads: int, typical_leads: int) -> float:
    """One standard error, in score points, of the difference between two groups' conversion at `rate`."""
    return 100.0 * math.sqrt(max(rate * (1.0 - rate), 0.0) * (1 / max(leads, 1) + 1 / max(typical_leads, 1)))


def beyond_noise(points: float, leads: int, rate: float, typical_leads: int) -> bool:
    return leads >= MIN_LEADS and abs(points) > NOISE_Z * noise_points(rate, leads, typical_leads)


def _typical(means: pd.Series, counts: pd.Series) -> tuple[float, int]:
    """The lead-weighted median of the values' mean impacts, and how many leads its value holds."""
    order = means.sort_values()
    weights = counts.reindex(order.index).fillna(0)
    middle = order.index[int(np.searchsorted(weights.cumsum().to_numpy(), weights.sum() / 2))]
    return float(order[middle]), int(counts[middle])


def people_effects(result, people: list[str]) -> dict[str, dict]:
    """Per people column that is a feature: the values beyond noise (mean points, leads, observed
    conversion), biggest effect first, and how many values are within noise. Stored in the page data."""
    from training.explain.contributions import explain_frame

    ts = result.training_set
    safe = {original: name for name, original in ts.feature_names.items()}
    columns = [c for c in people if c in safe]
    if not columns:
        return {}
    labelled = ts.frame[ts.frame["label"].notna()]
    labels = labelled["label"].to_numpy(dtype=float)
    rate = float(labels.mean()) if len(labels) else 0.0
    sample = labelled[ts.features]
    if len(sample) > EXPLAIN_ROWS:
        sample = sample.sample(n=EXPLAIN_ROWS, random_state=ts.spec.evaluation.seed)
    explanation = explain_frame(result.pipeline, sample)
    out = {}
    for column in columns:
        i = explanation.display_names.index(column)
        points = pd.Series(explanation.points[:, i]).groupby(
            sample[safe[column]].astype("string").fillna("").to_numpy()).mean()
        held = labelled[safe[column]].astype("string").fillna("")
        counts = held.value_counts()
        observed = pd.Series(labels, index=held.index).groupby(held).mean()
        points = points[[v != "" and v in counts for v in points.index]]
        shown = []
        if len(points) >= 2:  # with one person there is no one to compare with
            typical, typical_leads = _typical(points, counts)
            for value, mean in points.items():
                leads, effect = int(counts[value]), float(mean) - typical
                if beyond_noise(effect, leads, rate, typical_leads):
                    shown.append({"value": value, "points": round(effect, 2), "leads": leads,
                                  "conversion": round(float(observed[value]), 4)})
        shown.sort(key=lambda v: -v["points"])
        named = {v["value"] for v in shown}
        out[column] = {"shown": shown, "within_noise": int(sum(1 for v in counts.index if v != "" and v not in named)),
                       "rate": round(rate, 4), "min_leads": MIN_LEADS, "z": NOISE_Z}
    return out


def screen(page: dict, people: list[str]) -> dict:
    """The page data with no people value named where its effect is within noise: drivers name only values
    beyond noise, and people columns lose their dependence view (the people section shows them instead)."""
    if not people:
        return page
    effects = page.get("people") or {}
    named = {c: {v["value"] for v in effects.get(c, {}).get("shown", [])} for c in people}
    drivers = [{**d, "raises": [v for v in d.get("raises", []) if v in named[d["feature"]]],
                "lowers": [v for v in d.get("lowers", []) if v in named[d["feature"]]]}
               if d.get("feature") in named else d for d in page.get("drivers", [])]
    dependence = {k: v for k, v in page.get("dependence", {}).items() if k not in named}
    return {**page, "drivers": drivers, "dependence": dependence}


def people_section(meta, names) -> str:
    """The page's section on people columns ("" when the spec names none that is a feature)."""
    effects = (meta.page or {}).get("people") or {}
    columns = [c for c in meta.people if c in effects]
    if not columns:
        return ""
    t = PEOPLE[names.lang]
    e = html.escape
    blocks = []
    for column in columns:
        data = effects[column]
        rows = "".join(
            f'<tr data-value="{e(str(v["value"]))}"><td>{e(names.value(v["value"], column))}</td>'
            f'<td>{e(t["effect"].format(points=format(v["points"], "+.1f")))}</td>'
            f'<td>{e(t["leads"].format(leads=format(v["leads"], ","), conversion=format(v["conversion"], ".0%")))}'
            "</td></tr>" for v in data["shown"])
        table = f'<table class="people-effects">{rows}</table>' if rows else f'<p>{e(t["none_beyond"])}</p>'
        others = data["within_noise"]
        rest = f'<p class="people-noise">{e(t["others"].format(n=others))}</p>' if others and rows else ""
        blocks.append(f'<div class="people-column" data-column="{e(column)}"><h3>{e(names.field(column))}</h3>'
                      f"{table}{rest}</div>")
    return (f'<section id="people"><h2>{e(t["title"])}</h2><p class="people-data-not-person">{e(t["data_not_person"])}'
            f'</p><p class="note">{e(t["rule"].format(min_leads=MIN_LEADS))}</p>{"".join(blocks)}</section>')
