"""The plain-language summary at the top of the managers' page, from the held-out numbers only.

It names the served model's hot and cold conversion per 100 leads, how many times more buyers its
top 10% holds than random calling, the same for the team's points table (or the best baseline when
there is none), and says plainly when a baseline ranked the held-out leads better than the model.
"""

from __future__ import annotations

import math

from training.registry.contract import ModelMetadata
from training.report.texts import SUMMARY, model_name


def per_hundred(rate: float) -> str:
    """A rate as 'N in 100': whole numbers from 10 up, one decimal below (8.4, 0.6)."""
    value = rate * 100
    return f"{value:.0f}" if value >= 9.95 else f"{value:.1f}".removesuffix(".0")


def times(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def summary_numbers(meta: ModelMetadata) -> dict:
    """The figures the sentences use (also what the browser test checks against the run's metrics)."""
    metrics, ours = meta.metrics, meta.served  # old models: `served` comes from the contract's migration
    bands = meta.conversion_by_band
    baselines = {k: m for k, m in metrics.items() if k != ours}
    comparison = "rules" if "rules" in baselines else max(
        baselines, key=lambda k: baselines[k].get("lift_top10", float("-inf")), default=None)
    best = max(baselines, key=lambda k: baselines[k].get("roc_auc", float("-inf")), default=None)
    mine = metrics.get(ours, {})
    beaten = best if best and _finite(baselines[best].get("roc_auc")) and _finite(mine.get("roc_auc")) and \
        baselines[best]["roc_auc"] > mine["roc_auc"] else None
    return {"served": ours, "hot": bands.get("hot", {}).get("conversion_rate"),
            "cold": bands.get("cold", {}).get("conversion_rate"), "lift": mine.get("lift_top10"),
            "comparison": comparison, "comparison_lift": (metrics.get(comparison) or {}).get("lift_top10"),
            "beaten_by": beaten, "held_out": sum(b.get("leads", 0) for b in bands.values())}


def summary_sentences(meta: ModelMetadata, lang: str) -> list[str]:
    """The summary in `lang`, one sentence per list item; figures that are missing are left out."""
    t, n = SUMMARY["zh" if lang == "zh" else "en"], summary_numbers(meta)
    out = []
    if _finite(n["hot"]) and _finite(n["cold"]):
        out.append(t["bands"].format(hot=per_hundred(n["hot"]), cold=per_hundred(n["cold"])))
    if _finite(n["lift"]):
        other = ""
        if n["comparison"] and _finite(n["comparison_lift"]):
            other = t["lift_other"].format(other=model_name(n["comparison"], lang),
                                           other_lift=times(n["comparison_lift"]))
        out.append(t["lift"].format(lift=times(n["lift"])) + (other or t["lift_other"][-1]))
    if n["beaten_by"]:
        metrics = meta.metrics
        out.append(t["beaten"].format(other=model_name(n["beaten_by"], lang),
                                      theirs=f"{metrics[n['beaten_by']]['roc_auc']:.3f}",
                                      ours=f"{metrics[n['served']]['roc_auc']:.3f}"))
    if n["held_out"]:
        out.append(t["held_out"].format(n=f"{n['held_out']:,}"))
    return out
