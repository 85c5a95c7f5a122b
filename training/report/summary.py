"""The plain-language summary at the top of the managers' page, from the held-out numbers only.

It names the served model's hot and cold conversion per 100 leads, how many times more buyers its
top 10% holds than random calling, the same for the team's points table (or the best baseline when
there is none), and says plainly when a baseline ranked the held-out leads better than the model.
"""

from __future__ import annotations

import math

from training.evaluate.skill import BASE_RATE, ties_and_wins
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
    baselines = {k: m for k, m in metrics.items() if k not in (ours, BASE_RATE)}
    comparison = "rules" if "rules" in baselines else max(
        baselines, key=lambda k: baselines[k].get("lift_top10", float("-inf")), default=None)
    best = max(baselines, key=lambda k: baselines[k].get("roc_auc", float("-inf")), default=None)
    mine = metrics.get(ours, {})
    higher = best if best and _finite(baselines[best].get("roc_auc")) and _finite(mine.get("roc_auc")) and \
        baselines[best]["roc_auc"] > mine["roc_auc"] else None
    # With bootstrap intervals (training/evaluate/skill.py) a higher figure is advice only beyond noise.
    verdicts = ties_and_wins(meta.skill)
    beaten = higher if higher and verdicts.get(higher, "better") == "better" else None
    return {"served": ours, "hot": bands.get("hot", {}).get("conversion_rate"),
            "cold": bands.get("cold", {}).get("conversion_rate"), "lift": mine.get("lift_top10"),
            "comparison": comparison, "comparison_lift": (metrics.get(comparison) or {}).get("lift_top10"),
            "beaten_by": beaten, "tied_with": higher if higher and not beaten else None,
            "no_skill": bool(meta.skill.get("no_skill")), "auc_interval": meta.skill.get("roc_auc"),
            "held_out": sum(b.get("leads", 0) for b in bands.values())}


def summary_sentences(meta: ModelMetadata, lang: str) -> list[str]:
    """The summary in `lang`, one sentence per list item; figures that are missing are left out."""
    t, n = SUMMARY["zh" if lang == "zh" else "en"], summary_numbers(meta)
    if n["no_skill"]:
        return _no_skill_sentences(meta, t, n, lang)
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
    elif n["tied_with"]:
        metrics = meta.metrics
        out.append(t["tie"].format(other=_capital(model_name(n["tied_with"], lang), lang),
                                   theirs=f"{metrics[n['tied_with']]['roc_auc']:.3f}",
                                   ours=f"{metrics[n['served']]['roc_auc']:.3f}"))
    if n["held_out"]:
        out.append(t["held_out"].format(n=f"{n['held_out']:,}"))
    return out


def _capital(text: str, lang: str) -> str:
    return text[:1].upper() + text[1:] if lang == "en" else text


def _no_skill_sentences(meta: ModelMetadata, t: dict, n: dict, lang: str) -> list[str]:
    """A model with no skill: say so plainly, and point to what is left (the points table or the base rate)."""
    low, high = n["auc_interval"] or (float("nan"), float("nan"))
    out = [t["no_skill"].format(low=f"{low:.2f}", high=f"{high:.2f}")]
    if ties_and_wins(meta.skill).get("rules") == "better":  # the team's points table ranks beyond the model
        out.append(t["no_skill_use"].format(other=model_name("rules", lang)))
    elif _finite(meta.positive_rate):
        out.append(t["no_skill_rate"].format(rate=per_hundred(meta.positive_rate)))
    if n["held_out"]:
        out.append(t["held_out"].format(n=f"{n['held_out']:,}"))
    return out
