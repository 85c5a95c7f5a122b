"""Chart data for the managers' page and the per-run report, computed once at training time.

Everything here is stored in the model's metadata, so the service can draw the page without the
training data: global drivers (mean |impact| in score points), dependence views for the top
features, conversion by band and by source, a reliability diagram, the model card, example leads
(features only: never personal data) and the explainer form's fields.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.explain import Explanation

TOP_DRIVERS = 12
DEPENDENCE_FEATURES = 4
NOT_GIVEN = "(not given)"  # the dependence view's label for a missing category (translated on the page)
KNOWN_LIMITS = [
    "Scores reflect the leads and outcomes of the training window; re-train when channels, products or prices change.",
    "Columns filled in after sales contact are excluded, so the score is for new leads before contact.",
    "Probabilities are calibrated on held-out rows of the training data; check the reliability diagram after drift.",
    "Reasons are associations learned from history, not causes: they say why the model scores a lead, "
    "not what will change its outcome.",
]


def drivers(explanation: Explanation, numeric: list[bool]) -> list[dict]:
    """Features by mean |impact| in score points, with the direction of the effect for numbers
    (categories have no order, so their direction is 0: it depends on the value)."""
    out = []
    for i, feature in enumerate(explanation.features):
        points = explanation.points[:, i]
        values = explanation.matrix[:, i]
        known = ~np.isnan(values)
        direction = 0
        if numeric[i] and known.sum() > 10 and np.std(values[known]) > 0 and np.std(points[known]) > 0:
            direction = int(np.sign(np.corrcoef(values[known], points[known])[0, 1]))
        out.append({"feature": feature, "mean_abs_points": round(float(np.abs(points).mean()), 3),
                    "direction": direction})
    out.sort(key=lambda d: -d["mean_abs_points"])
    return out[:TOP_DRIVERS]


def dependence(explanation: Explanation, frame: pd.DataFrame, encoder, top: list[str]) -> dict[str, dict]:
    """How the impact (score points) changes with the value, for the top features."""
    views = {}
    for feature in top[:DEPENDENCE_FEATURES]:
        i = explanation.features.index(feature)
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
            labels = column.astype("string").fillna(NOT_GIVEN)
            stats = pd.DataFrame({"v": labels, "p": points}).groupby("v")["p"].agg(["mean", "size"])
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


def form_fields(encoder, frame: pd.DataFrame) -> list[dict]:
    """The explainer form: one field per feature, with the known categories or a typical number."""
    fields = []
    for i, name in enumerate(encoder.display_names_):
        if encoder.is_numeric_[i]:
            values = pd.to_numeric(frame.iloc[:, i], errors="coerce").dropna()
            fields.append({"name": name, "kind": "numeric",
                           "typical": float(values.median()) if len(values) else 0.0})
        else:
            fields.append({"name": name, "kind": "categorical", "options": list(encoder.category_codes_[i])[:50]})
    return fields


def example_leads(frame: pd.DataFrame, probability: np.ndarray, names: list[str], count: int = 6) -> list[dict]:
    """A few leads across the score range, features only, keyed by original names."""
    order = np.argsort(-probability, kind="stable")
    picks = order[np.linspace(0, len(order) - 1, count).astype(int)]
    leads = []
    for i in picks:
        row = frame.iloc[int(i)]
        leads.append({name: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v))
                      for name, v in zip(names, row.tolist(), strict=True)})
    return leads
