"""The chart of `make bench-scale`: wall time of build, train and score per engine against the number of
leads, drawn from artifacts/bench/scale.json (what bench_scale.py measured) into tests/bench/bench-scale.svg,
which docs/benchmarks.md shows. Run by bench_scale.py at the end; on its own: `python tests/bench/scale_chart.py`."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure  # no pyplot: no global figure state
from measure import RESULTS, ROOT

CHART = ROOT / "tests" / "bench" / "bench-scale.svg"
STEPS = ("build", "train", "score")
STYLE = {"pandas": "o-", "dask": "s--"}


def draw(results: dict, out: Path = CHART) -> Path:
    sizes = sorted(int(k) for k, v in results.items() if isinstance(v, dict) and k.isdigit())
    figure = Figure(figsize=(10, 3.4))
    for position, step in enumerate(STEPS, start=1):
        axes = figure.add_subplot(1, len(STEPS), position)
        for engine, style in STYLE.items():
            runs = [(n, results[str(n)].get(f"{step} {engine}")) for n in sizes]
            points = [(n, run["seconds"]) for n, run in runs if run and run["exit_code"] == 0]  # failed runs: no point
            if points:
                axes.plot(*zip(*points, strict=True), style, label=engine)
        axes.set(xscale="log", yscale="log", title=step, xlabel="leads")
        axes.grid(True, which="both", alpha=0.3)
        if position == 1:
            axes.set_ylabel("wall time (s)")
            axes.legend()
    figure.tight_layout()
    with rc_context({"svg.fonttype": "none"}):  # text as text: a small file that diffs
        figure.savefig(out, format="svg", metadata={"Date": None})  # no date: the file changes with the numbers only
    return out


if __name__ == "__main__":
    print(f"wrote {draw(json.loads((RESULTS / 'scale.json').read_text()))}")
