"""How the tuner's objective was chosen, run with `make bench-tuning` (about 10 minutes).

LightGBM's 5-fold out-of-fold ROC-AUC and Brier score with no tuning and with 15 Optuna trials scored
on 2, 3 or 4 folds of each fit's training rows, on X Education (honest spec) and on 5,000 synthetic
leads (stratified folds here too, so the two tables compare). The seconds are the 5 fits' wall time.
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from measure import ROOT, save
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from features.build import build_training_set
from features.encoder import LeadEncoder
from features.spec import DatasetSpec
from features.synth.export import write_export
from training.model.classifier import LeadClassifier
from training.model.tune import tune

TRIALS = 15


def training_set(name: str, folder: Path):
    spec = yaml.safe_load((ROOT / "data" / "specs" / f"{name}.yaml").read_text())
    if name == "synthetic":
        export = write_export(folder / "s5k", 5000, seed=1)
        spec["leads"]["path"], spec["outcome"]["path"] = str(export / "leads.csv"), str(export / "outcomes.csv")
        spec.pop("synthetic")
    spec["rules"], spec["display"] = None, None
    ts = build_training_set(DatasetSpec.model_validate(spec))
    return ts.frame[ts.features], ts.frame["label"].to_numpy(), list(ts.spec.leads.missing_values)


def evaluate(X, y, missing, folds: int | None) -> dict:
    started, oof = time.perf_counter(), np.zeros(len(y))
    for train, held in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        encoder = LeadEncoder(missing_values=missing).fit(X.iloc[train])
        A, B = encoder.transform(X.iloc[train]), encoder.transform(X.iloc[held])
        cats = encoder.categorical_indices_
        params = tune(A, y[train], cats, TRIALS, None, seed=0, folds=folds) if folds else {}
        model = LeadClassifier(categorical_features=cats, params=params, blend=1.0).fit(A, y[train])
        oof[held] = model.predict_proba(B)[:, 1]
    return {"roc_auc": round(roc_auc_score(y, oof), 4), "brier": round(brier_score_loss(y, oof), 4),
            "seconds": round(time.perf_counter() - started, 1)}


results = {}
with tempfile.TemporaryDirectory(prefix="bench-tuning-") as tmp:
    for name in sys.argv[1:] or ["x_education", "synthetic"]:
        X, y, missing = training_set(name, Path(tmp))
        results[name] = {"no tuning" if f is None else f"{f} folds": evaluate(X, y, missing, f)
                         for f in (None, 2, 3, 4)}
        print(f"\n{name}: | objective | ROC-AUC | Brier | seconds |")
        for label, r in results[name].items():
            print(f"| {label} | {r['roc_auc']:.4f} | {r['brier']:.4f} | {r['seconds']} |")
print(f"saved {save('tuning', results)}")
