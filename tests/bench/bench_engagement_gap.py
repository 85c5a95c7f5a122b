"""Where the served model's gap to the generator's truth comes from (issue 24 §6): one evaluation fit per run.

`synthetic`: the default export (`--leads`, `--seed`) built with the default spec (or with `--activities`
overriding keys of its `activities` block), the served model fitted on the time-ordered training rows
(`leadscore train`'s held-out split) with LeadClassifier's arguments from `--learner` (JSON), scored on
the held-out leads against truth.csv's `p_convert`. With `--train-rows N` the held-out leads stay the
same and the model is fitted on a random N of the training rows (`--draw` seeds that choice): a learning
curve with the held-out noise held fixed. Prints served and truth ROC-AUC, their difference, a paired
bootstrap of it (1,000 resamples of the held-out leads, seed 0), what the fit chose and its CPU seconds.

`x_education`: X Education with its shipped spec, every evaluation fold fitted with the same `--learner`
arguments: the pooled held-out ROC-AUC, the check that a change is not worse on real leads.

    python tests/bench/bench_engagement_gap.py synthetic [--leads N] [--seed S] [--learner JSON]
        [--activities JSON] [--train-rows N --draw D]
    python tests/bench/bench_engagement_gap.py x_education [--learner JSON]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from bench_engagement import ROOT, spec_for
from bench_gaps import paired_bootstrap
from sklearn.metrics import roc_auc_score

from features.build import build_training_set
from features.spec import DatasetSpec
from features.synth.export import write_export
from training.evaluate.splits import evaluation_splits
from training.model.classifier import make_pipeline


def fit_predict(ts, learner: dict, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, object, float]:
    """Held-out probabilities of the served model fitted on `train`, the fitted classifier, CPU seconds."""
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    started = time.process_time()
    pipeline = make_pipeline(X, ts.feature_names, ts.spec.leads.missing_values, seed=ts.spec.evaluation.seed,
                             context=ts.relation.context if ts.relation else None, **learner)
    pipeline.fit(X.iloc[train], y[train])
    cpu = time.process_time() - started
    return pipeline.predict_proba(X.iloc[test])[:, 1], pipeline.named_steps["classify"], cpu


def synthetic(args: argparse.Namespace, learner: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_export(Path(tmp), args.leads, args.seed)
        spec = spec_for(folder, True)
        if args.activities:
            raw = spec.model_dump()
            raw["activities"].update(json.loads(args.activities))
            spec = DatasetSpec.model_validate(raw)
        ts = build_training_set(spec)
        truth = pd.read_csv(folder / "truth.csv").set_index("lead_id")["p_convert"]
    (train, test), = evaluation_splits(ts.frame, ts.spec.evaluation.folds, ts.spec.evaluation.seed)
    if args.train_rows:
        train = np.sort(np.random.default_rng(args.draw).permutation(train)[:args.train_rows])
    p, classifier, cpu = fit_predict(ts, learner, train, test)
    y = ts.frame["label"].to_numpy()[test]
    true_p = truth.loc[ts.frame["lead_id"].iloc[test]].to_numpy()
    served, best = roc_auc_score(y, p), roc_auc_score(y, true_p)
    diffs = paired_bootstrap(y, p, true_p)
    return {"leads": args.leads, "seed": args.seed, "train_rows": len(train), "held_out": len(test),
            "served_roc_auc": round(served, 4), "truth_roc_auc": round(best, 4),
            "served_minus_truth": round(served - best, 4), "bootstrap_mean": round(float(diffs.mean()), 4),
            "interval_95": [round(float(np.percentile(diffs, q)), 4) for q in (2.5, 97.5)],
            "weight": classifier.weight_, "calibration": classifier.calibration_,
            "trees": int(classifier.n_estimators_), "linear_c": classifier.linear_c_, "cpu_seconds": round(cpu, 1)}


def x_education(learner: dict) -> dict:
    raw = yaml.safe_load((ROOT / "data/specs/x_education.yaml").read_text())
    raw["leads"]["path"] = str((ROOT / raw["leads"]["path"]).resolve())
    raw["display"] = str(ROOT / raw["display"])
    ts = build_training_set(DatasetSpec.model_validate(raw))
    y, p, cpu = ts.frame["label"].to_numpy(), np.full(len(ts.frame), np.nan), 0.0
    for train, test in evaluation_splits(ts.frame, ts.spec.evaluation.folds, ts.spec.evaluation.seed):
        p[test], _, seconds = fit_predict(ts, learner, train, test)
        cpu += seconds
    return {"held_out": len(y), "served_roc_auc": round(roc_auc_score(y, p), 4), "cpu_seconds": round(cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", choices=["synthetic", "x_education"])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learner", default="{}", help='LeadClassifier arguments, e.g. {"params": {"num_leaves": 4}}')
    parser.add_argument("--activities", default=None, help='spec activities keys, e.g. {"half_life_days": 14}')
    parser.add_argument("--train-rows", type=int, default=None)
    parser.add_argument("--draw", type=int, default=0)
    args = parser.parse_args()
    learner = json.loads(args.learner)
    out = synthetic(args, learner) if args.data == "synthetic" else x_education(learner)
    print(json.dumps({"learner": learner, **({"activities": json.loads(args.activities)} if args.activities else {}),
                      **out}))


if __name__ == "__main__":
    main()
