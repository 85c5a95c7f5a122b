"""The page's charts as inline SVG drawn by matplotlib, with text kept as text (so the browser draws
Chinese with its own fonts). Figures are made without pyplot: no global figure registry, safe in the
service's threads. Colours carry one meaning everywhere: green raises the score, red lowers it."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from training.report.display import Names

UP, DOWN, NEUTRAL, BLUE = "#1a7f37", "#cf222e", "#8c959f", "#0969da"


def _axes(width: float, height: float):
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def clip(text: str, length: int) -> str:
    """Text cut to `length` characters, with an ellipsis when something was cut."""
    return text if len(text) <= length else text[:length - 1] + "…"


def _hbar(labels: list[str], values: list[float], colors, xlabel: str, percent: bool = False) -> str:
    fig, ax = _axes(6.4, 0.32 * len(labels) + 0.9)
    ax.barh(range(len(labels)), values, color=colors)
    ax.set_yticks(range(len(labels)), [clip(label, 42) for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return _svg(fig)


def _hints(driver: dict, side: str, names: Names) -> str:
    """What raises (side 'raises') or lowers the score: the top values, or higher/lower numbers."""
    if driver["direction"]:
        return names.t["higher" if (driver["direction"] > 0) == (side == "raises") else "lower"]
    values = [names.value(v, driver["feature"]) for v in driver.get(side, [])]
    return names.t["sep"].join(clip(v, 20) for v in values)


def drivers_chart(drivers: list[dict], names: Names) -> str:
    """A diverging bar per field: its average raise to the right (green), its average lowering to the
    left (red), and beside each side the values that raise or lower the score most."""
    if not drivers or "raise_points" not in drivers[0]:  # a model trained before the split was stored
        return _hbar([names.field(d["feature"]) for d in drivers], [d["mean_abs_points"] for d in drivers],
                     [UP if d["direction"] > 0 else DOWN if d["direction"] < 0 else NEUTRAL for d in drivers],
                     names.t["points"])
    rows = range(len(drivers))
    fig, ax = _axes(8.6, 0.4 * len(drivers) + 0.9)
    ups, downs = [d["raise_points"] for d in drivers], [d["lower_points"] for d in drivers]
    ax.barh(rows, ups, color=UP)
    ax.barh(rows, downs, color=DOWN)
    ax.axvline(0, color=NEUTRAL, linewidth=0.8)
    reach = max([*ups, *(-x for x in downs), 0.1])
    for row, driver in zip(rows, drivers, strict=True):
        ax.text(driver["raise_points"] + reach * 0.03, row, _hints(driver, "raises", names), va="center",
                fontsize=8, color=UP)
        ax.text(driver["lower_points"] - reach * 0.03, row, _hints(driver, "lowers", names), va="center",
                ha="right", fontsize=8, color=DOWN)
    ax.set_xlim(-reach * 2.2, reach * 2.2)
    ax.set_yticks(list(rows), [clip(names.field(d["feature"]), 42) for d in drivers])
    ax.invert_yaxis()
    ax.set_xlabel(names.t["points"])
    return _svg(fig)


def dependence_chart(feature: str, view: dict, names: Names) -> str:
    t, label = names.t, names.field(feature)
    if view["kind"] == "numeric":
        fig, ax = _axes(4.6, 2.8)
        ax.plot(view["x"], view["points"], marker="o", color=BLUE)
        ax.axhline(0, color=NEUTRAL, linewidth=0.8)
        ax.set_xlabel(clip(label, 48))
        ax.set_ylabel(t["points"])
        return _svg(fig)
    pairs = dict(zip(view["x"], view["points"], strict=True))
    order = names.ordered(feature, list(pairs)) or list(pairs)  # natural order when the values have one
    points = [pairs[x] for x in order]
    return _hbar([names.value(x, feature) for x in order], points, [UP if p > 0 else DOWN for p in points],
                 f"{clip(label, 40)}{t['colon']}{t['points']}")


def band_chart(bands: dict, names: Names) -> str:
    kinds = [b for b in ("hot", "warm", "cold") if b in bands]
    fig, ax = _axes(4.6, 2.8)
    ax.bar([names.t[b] for b in kinds], [bands[b]["conversion_rate"] for b in kinds], color=[DOWN, "#bf8700", BLUE])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(names.t["rate"])
    return _svg(fig)


def source_chart(sources: dict, field: str, names: Names) -> str:
    items = sorted(sources.items(), key=lambda kv: -kv[1]["conversion_rate"])[:12]
    open_, close = ("（", "）") if names.lang == "zh" else (" (", ")")
    return _hbar([f"{names.value(k, field)}{open_}{v['leads']:,}{close}" for k, v in items],
                 [v["conversion_rate"] for _, v in items], BLUE, names.t["rate"], percent=True)


def rate_chart(labels: list[str], rates: list[float], names: Names) -> str:
    """Conversion rate per group, one bar each, in the groups' own order."""
    return _hbar(labels, rates, BLUE, names.t["rate"], percent=True)


def reliability_chart(curve: dict, names: Names) -> str:
    fig, ax = _axes(4.2, 3.6)
    ax.plot([0, 1], [0, 1], color=NEUTRAL, linestyle=":")
    ax.plot(curve["predicted"], curve["observed"], marker="o", color=BLUE)
    ax.set_xlabel(names.t["predicted"])
    ax.set_ylabel(names.t["observed"])
    return _svg(fig)
