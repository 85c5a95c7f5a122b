"""The project against its peers on the same rows, run with `make bench-peers`.

Peers (default CatBoost, FLAML with a 120 s budget, AutoGluon medium_quality) run in their own virtual
environment (.venv-peers, made by the Makefile) through peers_run.py, each with a time limit; the
project trains through its own path (`fit_model`, what `leadscore train` fits, then `score_frame`,
what `leadscore score` writes). Every learner gets the same training rows and is scored on the same
held-out rows. Prints one table (ROC-AUC / Brier / training seconds) and writes it into
docs/benchmarks.md between the bench-peers markers.

    python tests/bench/bench_peers.py [DATASET ...] [--peers catboost,flaml,autogluon]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from datasets import SYNTHETIC, load_spec, write_variant, x_education_spec
from measure import ROOT, save
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from features.build import build_training_set
from training.evaluate.metrics import band_thresholds
from training.evaluate.splits import evaluation_splits
from training.fit.train import TrainOptions, fit_model
from training.registry.contract import ModelMetadata
from training.registry.tracking import LoadedModel
from training.scoring.score import score_frame

PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
LIMITS = {"catboost": 600, "flaml": 120, "autogluon": 300}  # seconds each peer may train per split
DATASETS = ["x_education_cv5", "x_education_80_20", *SYNTHETIC]
MARKERS = ("<!-- bench-peers:start -->", "<!-- bench-peers:end -->")


def training_set_and_splits(name: str, folder: Path):
    if name.startswith("x_education"):
        ts = build_training_set(x_education_spec())
        y = ts.frame["label"].to_numpy()
        if name == "x_education_cv5":
            folds = StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
            return ts, list(folds), "5-fold CV, seed 0"
        train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=42)
        return ts, [(np.sort(train), np.sort(test))], "80/20 stratified, seed 42"
    ts = build_training_set(load_spec(write_variant(name, folder / name)))
    return ts, evaluation_splits(ts.frame, 5, 0), "newest 20% held out"


def run_project(ts, train, test) -> tuple[np.ndarray, float]:
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    start = time.perf_counter()
    pipeline = fit_model(X.iloc[train], y[train], ts, TrainOptions(), None)
    seconds = time.perf_counter() - start
    meta = ModelMetadata(dataset=ts.spec.name, bands=band_thresholds(pipeline.predict_proba(X.iloc[train])[:, 1]),
                         features=ts.feature_names, missing_values=list(ts.spec.leads.missing_values))
    scored = score_frame(LoadedModel(pipeline=pipeline, metadata=meta, uri="bench"), X.iloc[test])
    return scored["probability"].to_numpy(), seconds


def run_peer(peer: str, ts, train, test, folder: Path) -> tuple[np.ndarray | None, float]:
    frame = ts.frame[[*ts.features, "label"]]
    frame.iloc[train].to_parquet(folder / "train.parquet")
    frame.iloc[test].to_parquet(folder / "test.parquet")
    out = folder / f"{peer}.json"
    try:
        subprocess.run([str(PEER_PYTHON), str(Path(__file__).with_name("peers_run.py")), peer,
                        str(folder / "train.parquet"), str(folder / "test.parquet"), str(out),
                        "--time-limit", str(LIMITS[peer])], check=True, timeout=LIMITS[peer] * 2 + 300)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  {peer} failed: {exc}")
        return None, float("nan")
    result = json.loads(out.read_text())
    return np.array(result["p"]), result["seconds"]


def compare(name: str, peers: list[str], folder: Path) -> dict:
    ts, splits, protocol = training_set_and_splits(name, folder)
    y = ts.frame["label"].to_numpy()
    rows = np.concatenate([test for _, test in splits])
    row = {"protocol": protocol, "rows": len(ts.frame), "positive_rate": round(float(y.mean()), 4)}
    for learner in ["leadscore", *peers]:
        p, seconds = np.full(len(y), np.nan), 0.0
        for train, test in splits:
            predicted, s = (run_project(ts, train, test) if learner == "leadscore"
                            else run_peer(learner, ts, train, test, folder))
            if predicted is None:
                p = None
                break
            p[test], seconds = predicted, seconds + s
        row[learner] = None if p is None else {
            "roc_auc": round(roc_auc_score(y[rows], p[rows]), 4), "brier": round(brier_score_loss(y[rows], p[rows]), 4),
            "seconds": round(seconds, 1)}
        print(f"  {name} {learner}: {row[learner]}", flush=True)
    return row


def table(results: dict, peers: list[str]) -> str:
    names = {"leadscore": "leadscore", "catboost": "CatBoost (default)", "flaml": "FLAML (120 s)",
             "autogluon": "AutoGluon (medium_quality)"}
    lines = ["| data set | protocol | " + " | ".join(names[p] for p in ["leadscore", *peers]) + " |",
             "|---|---|" + "---:|" * (len(peers) + 1)]
    for name, row in results.items():
        cells = [("not run" if p not in row else "failed" if row[p] is None else
                  f"{row[p]['roc_auc']:.4f} / {row[p]['brier']:.4f} / {row[p]['seconds']:.0f} s")
                 for p in ["leadscore", *peers]]
        lines.append(f"| {name} ({row['rows']:,} leads, {row['positive_rate']:.1%}) | {row['protocol']} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_table(text: str) -> None:
    target = ROOT / "docs" / "benchmarks.md"
    content = target.read_text(encoding="utf-8")
    start, end = content.index(MARKERS[0]), content.index(MARKERS[1])
    target.write_text(content[:start + len(MARKERS[0])] + "\n" + text + "\n" + content[end:], encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="*", default=DATASETS, choices=DATASETS)
    parser.add_argument("--peers", default="catboost,flaml,autogluon")
    parser.add_argument("--autogluon-limit", type=float, default=LIMITS["autogluon"])
    args = parser.parse_args()
    LIMITS["autogluon"] = args.autogluon_limit
    peers = [p for p in args.peers.split(",") if p]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        for name in args.datasets:
            results[name] = compare(name, peers, Path(tmp))
    saved = save("peers", results)  # merged with earlier runs' data sets: a run of some sets keeps the others
    text = table(json.loads(saved.read_text()), peers) + \
        f"\n\nLast run {time.strftime('%Y-%m-%d %H:%M')} UTC by `make bench-peers` " \
        f"(`{' '.join(['tests/bench/bench_peers.py', *args.datasets, '--peers', args.peers])} " \
        f"--autogluon-limit {LIMITS['autogluon']:g}`); each row's date is in {saved.relative_to(ROOT)}."
    print(text)
    write_table(text)
    print(f"saved {saved}")
