"""The managers' page's section on activities: which ones drive conversion and how fast their effect fades.

Measured, not assumed. At training time (`engagement_view`, stored in the model's metadata like the other
chart data): per activity type, the model's average effect on the score in points (the SHAP points of all
that type's features, its counts in every window and its days since last, added up) among the sample's leads
grouped by when they last did it, cut at the spec's windows; and the training data's conversion rate by days
since the lead's last activity. The page (`engagement_section`) shows both, with the decay's half-life.
A model without activity features has no such section.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from features.activities import OTHER
from training.report import charts
from training.report.display import Names
from training.report.texts import ENGAGEMENT_NAMES, ENGAGEMENT_PAGE

MIN_LEADS = 5  # fewer leads than this in a group: no average is shown for it
FADE_LINES = 3  # the activities whose effect moves most get a sentence under the table


def _bins(days: np.ndarray, windows: list[int]) -> np.ndarray:
    """Each row's group: 0 (within the first window) .. len(windows) (the last window or more), and
    len(windows) + 1 for never (missing)."""
    groups = np.searchsorted(np.asarray(windows, dtype=float), days, side="right")
    return np.where(np.isnan(days), len(windows) + 1, groups)


def engagement_view(pipeline, explanation, frame: pd.DataFrame, labels: np.ndarray) -> dict | None:
    """The section's numbers: `explanation` is the page's SHAP sample, `frame` and `labels` the whole
    training set (rows in the same order as `labels`)."""
    context = dict(pipeline.steps).get("context")
    if context is None or not getattr(context, "columns_", None):
        return None
    columns = context.engagement_columns_
    windows = sorted(int(w) for w in context.windows)
    names = explanation.display_names
    n_groups = len(windows) + 2
    effects = []
    for kind in [*context.types_, *([OTHER] if context.grouped_ else [])]:
        since = next((n for n, c in columns.items() if c.kind == "since" and c.type == kind), None)
        own = [names.index(n) for n, c in columns.items() if c.type == kind and n in names]
        if since is None or since not in names or not own:
            continue
        groups = _bins(explanation.matrix[:, names.index(since)], windows)
        total = explanation.points[:, own].sum(axis=1)
        leads = np.bincount(groups, minlength=n_groups)
        sums = np.bincount(groups, weights=total, minlength=n_groups)
        points = [round(float(s / c), 2) if c >= MIN_LEADS else None for s, c in zip(sums, leads, strict=True)]
        older = total[(groups > 0) & (groups <= len(windows))]  # done, but before the first window
        effects.append({"type": kind, "points": points, "leads": [int(c) for c in leads],
                        "older": round(float(older.mean()), 2) if len(older) >= MIN_LEADS else None})
    effects.sort(key=lambda e: -_spread(e["points"]))
    last_any = next(n for n, c in columns.items() if c.kind == "since_any")
    found = {column: i for i, column in context_columns(pipeline, frame).items()}
    column = next((c for c, i in found.items() if names[i] == last_any), None)
    conversion = None
    if column is not None:
        groups = _bins(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float), windows)
        leads = np.bincount(groups, minlength=n_groups)
        won = np.bincount(groups, weights=np.asarray(labels, dtype=float), minlength=n_groups)
        conversion = {"leads": [int(c) for c in leads],
                      "rate": [round(float(w / c), 4) if c else None for w, c in zip(won, leads, strict=True)]}
    return {"windows": windows, "half_life_days": float(context.half_life_days), "effects": effects,
            "conversion": conversion}


def context_columns(pipeline, frame: pd.DataFrame) -> dict[int, object]:
    """{feature index: the frame's column} through the model's encoder (safe or original names)."""
    return pipeline.named_steps["encode"].feature_columns(frame.columns)


def _spread(points: list) -> float:
    known = [p for p in points if p is not None]
    return max(known) - min(known) if known else 0.0


def group_names(windows: list[int], t: dict, never: str) -> list[str]:
    """The groups' names: within the first window, between windows, the last window or more, never."""
    out = [t["first"].format(window=windows[0])]
    out += [t["between"].format(low=low, high=high) for low, high in zip(windows, windows[1:], strict=False)]
    return out + [t["last"].format(window=windows[-1]), t[never]]


def _signed(points: float | None) -> str:
    return "–" if points is None else f"{points:+.1f}"


def _type_name(kind: str, names: Names) -> str:
    return ENGAGEMENT_NAMES[names.lang]["other"] if kind == OTHER else names.value(kind)


def engagement_section(view: dict | None, names: Names) -> str:
    """The section's HTML; empty for a model without activity features."""
    if not view or not view.get("effects") and not view.get("conversion"):
        return ""
    t = ENGAGEMENT_PAGE[names.lang]
    windows = view["windows"]
    headings = group_names(windows, t, "never")
    shown = [g for g in range(len(headings)) if any(e["leads"][g] for e in view["effects"])]
    head = f"<th>{_e(t['activity'])}</th>" + "".join(f"<th>{_e(headings[g])}</th>" for g in shown)
    rows = "".join(f'<tr data-type="{_e(e["type"])}"><td>{_e(_type_name(e["type"], names))}</td>'
                   + "".join(_cell(e, g, t) for g in shown) + "</tr>" for e in view["effects"])
    fades = "".join(
        "<li>" + _e(_capital(t["fade"].format(type=_type_name(e["type"], names), window=windows[0],
                                              recent=_signed(e["points"][0]), older=_signed(e["older"]),
                                              never=_signed(e["points"][-1])))) + "</li>"
        for e in view["effects"][:FADE_LINES] if e["points"][0] is not None)
    caption = t["effects"].format(half_life=f"{view['half_life_days']:g}")
    table = (f'<p>{_e(caption)}</p><table id="engagement-effects"><tr>{head}</tr>{rows}</table>'
             f'<ul id="engagement-fade">{fades}</ul>' if view["effects"] else "")
    chart = ""
    conversion = view.get("conversion")
    if conversion and any(conversion["leads"]):
        labels = group_names(windows, t, "none")
        keep = [g for g, c in enumerate(conversion["leads"]) if c]
        chart = (f'<figure class="chart" id="chart-engagement"><figcaption>{_e(t["conversion"])}</figcaption>'
                 + charts.rate_chart([t["label"].format(bin=labels[g], leads=f"{conversion['leads'][g]:,}")
                                      for g in keep], [conversion["rate"][g] for g in keep], names) + "</figure>")
    return f'<section id="engagement"><h2>{_e(t["title"])}</h2>{table}{chart}</section>'


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cell(effect: dict, group: int, t: dict) -> str:
    points, leads = effect["points"][group], effect["leads"][group]
    text = t["cell"].format(points=_signed(points), leads=f"{leads:,}")
    return f'<td data-points="{"" if points is None else points}">{_e(text)}</td>'


def _e(value) -> str:
    return html.escape(str(value))
