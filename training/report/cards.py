"""Chart data for the managers' page and the per-run report, computed once at training time.

Everything here is stored in the model's metadata, so the service can draw the page without the
training data: global drivers (mean |impact| in score points), dependence views for the top
features, conversion by band and by source, a reliability diagram, the model card, example leads
(features only: never personal data) and the explainer form's fields.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from training.evaluate.metrics import assign_bands
from training.explain.contributions import Explanation
from training.report.texts import LIMITS

TOP_DRIVERS = 12
DEPENDENCE_FEATURES = 4
NOT_GIVEN = "(not given)"  # the dependence view's label for a missing category (translated on the page)
KNOWN_LIMITS = LIMITS["en"]  # stored with the model for older readers; the page reads training/report/texts.py


def _value_effects(column: pd.Series, points: np.ndarray) -> pd.DataFrame:
    """Mean impact (score points) and count of each category, missing values as NOT_GIVEN."""
    labels = column.astype("string").fillna(NOT_GIVEN)
    return pd.DataFrame({"v": labels.to_numpy(), "p": points}).groupby("v")["p"].agg(["mean", "size"])


def drivers(explanation: Explanation, numeric: list[bool], frame: pd.DataFrame | None = None) -> list[dict]:
    """Features by mean |impact| in score points, split into the average raise and the average lowering
    (a diverging bar), with what raises and lowers the score: for numbers the direction of the effect,
    for categories the values whose mean impact is most positive and most negative (among values held
    by at least 1% of the sample, so a rare value does not name a field)."""
    out = []
    for i, feature in enumerate(explanation.display_names):
        points = explanation.points[:, i]
        values = explanation.matrix[:, i]
        known = ~np.isnan(values)
        direction = 0
        if numeric[i] and known.sum() > 10 and np.std(values[known]) > 0 and np.std(points[known]) > 0:
            direction = int(np.sign(np.corrcoef(values[known], points[known])[0, 1]))
        entry = {"feature": feature, "mean_abs_points": round(float(np.abs(points).mean()), 3),
                 "direction": direction, "raise_points": round(float(np.clip(points, 0, None).mean()), 3),
                 "lower_points": round(float(np.clip(points, None, 0).mean()), 3)}
        if frame is not None and not numeric[i]:
            stats = _value_effects(frame.iloc[:, i], points)
            stats = stats[stats["size"] >= max(5, 0.01 * len(points))].sort_values("mean")
            entry["raises"] = [str(v) for v, m in stats["mean"][::-1].items() if m >= 0.05][:2]
            entry["lowers"] = [str(v) for v, m in stats["mean"].items() if m <= -0.05][:2]
        out.append(entry)
    out.sort(key=lambda d: -d["mean_abs_points"])
    return out[:TOP_DRIVERS]


def dependence(explanation: Explanation, frame: pd.DataFrame, encoder, top: list[str]) -> dict[str, dict]:
    """How the impact (score points) changes with the value, for the top features."""
    views = {}
    for feature in top[:DEPENDENCE_FEATURES]:
        i = explanation.display_names.index(feature)
        column = frame.iloc[:, i]
        points = pd.Series(explanation.points[:, i], index=frame.index)
        if encoder.is_numeric_[i]:
            numbers = pd.to_numeric(column, errors="coerce")
            known = numbers.notna()
            if known.sum() < 10:
                continue
            bins = pd.qcut(numbers[known].rank(method="first"), q=min(10, int(known.sum())), labels=False)
            grouped = pd.DataFrame({"x": numbers[known], "p": points[known], "b": bins}).groupby("b")
            views[feature] = {"kind": "numeric", "x": grouped["x"].median().round(3).tolist(),
                              "points": grouped["p"].mean().round(3).tolist()}
        else:
            stats = _value_effects(column, points.to_numpy())
            stats = stats.sort_values("size", ascending=False).head(10).sort_values("mean")
            views[feature] = {"kind": "categorical", "x": [str(v) for v in stats.index],
                              "points": stats["mean"].round(3).tolist()}
    return views


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict:
    """Observed conversion against mean predicted probability in quantile bins of held-out scores."""
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, bins)
    return {"predicted": [round(float(p[c].mean()), 4) for c in chunks if len(c)],
            "observed": [round(float(y[c].mean()), 4) for c in chunks if len(c)],
            "leads": [int(len(c)) for c in chunks if len(c)]}


def form_fields(encoder, frame: pd.DataFrame, computed: Collection[str] = ()) -> list[dict]:
    """The explainer form: one field per feature, with the known categories or a typical number. Fields
    the service computes (joined columns, engagement) are left out: /predict refuses them when sent."""
    fields = []
    for i, name in enumerate(encoder.display_names_):
        if name in computed:
            continue
        if encoder.is_numeric_[i]:
            values = pd.to_numeric(frame.iloc[:, i], errors="coerce").dropna()
            fields.append({"name": name, "kind": "numeric",
                           "typical": float(values.median()) if len(values) else 0.0})
        else:
            fields.append({"name": name, "kind": "categorical", "options": list(encoder.category_codes_[i])[:50]})
    return fields


def example_leads(frame: pd.DataFrame, probability: np.ndarray, names: list[str], count: int = 6,
                  computed: Collection[str] = ()) -> list[dict]:
    """A few leads across the score range, features only, keyed by original names; without the fields
    the service computes, as a client sends a lead."""
    leads = []
    for i in _example_rows(probability, count):
        row = frame.iloc[int(i)]
        leads.append({name: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v))
                      for name, v in zip(names, row.tolist(), strict=True) if name not in computed})
    return leads


def _example_rows(probability: np.ndarray, count: int) -> np.ndarray:
    order = np.argsort(-probability, kind="stable")
    return order[np.linspace(0, len(order) - 1, count).astype(int)]


def example_tags(probability: np.ndarray, bands: dict, sources: list | None, count: int = 6) -> list[dict]:
    """What each example lead is, for its name in the picker ("a hot referral lead"): its band under
    the model's thresholds, its score and its lead source (None without a source column)."""
    tags = []
    for i in _example_rows(probability, count):
        p = float(probability[int(i)])
        band = str(assign_bands(np.array([p]), bands)[0])
        source = None if sources is None or pd.isna(sources[int(i)]) else str(sources[int(i)])
        tags.append({"band": band, "score": int(round(p * 100)), "source": source})
    return tags
