"""`leadscore train --engine dask`: the LightGBM member trained on the cluster with `lightgbm.dask`, the
rest of the same model fitted on a sample that fits in memory; the result is the usual Pipeline.

What is distributed: the build (features/dask/build.py), encoding every row (the fitted LeadEncoder on
each partition) and the LightGBM member's fit on ALL training rows (DaskLGBMClassifier: data-parallel,
each worker holds its partitions; LightGBM's workers talk over TCP on ports they pick themselves, so a
cluster's workers must reach each other on any port).
What is not: on a uniform sample of at most SAMPLE_ROWS training rows the usual pandas fit runs in
full (training/model/classifier.py): the encoder's category codes, the logistic member, the blend weight, the
calibration and the number of trees. `lightgbm.dask` cannot stop early on Dask collections, so the
tree count is the sample's early-stopped count (x1.1, as the pandas engine's final refit does); with
more rows the best count is usually higher, so this errs towards fewer trees, never towards overfitting.
The calibrator was fitted on the sample's out-of-fold log-odds; the held-out metrics (Brier, ECE) show
how well it fits the booster trained on all rows.

Evaluation keeps the pandas engine's protocol: `evaluation_splits` on the labels and dates gathered
to the client (9 bytes a row) gives the same held-out rows; a model is fitted on the training rows of
each split as above and the held-out rows (the newest 20% with creation dates; every row over the
folds without) are scored on the workers: the client gathers each candidate's probabilities, the labels
and the lead sources, never the rows, so every metric covers every held-out row. The baselines are fitted
on the same in-memory sample. Only the run's charts, explanations and page read rows: a uniform sample of
at most SHOWN_ROWS held-out rows (all of them on smaller tables, as with the pandas engine).
Serving loads the result like any other model: it never needs Dask.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from features.dask.build import DaskTrainingSet, build_training_set_dask, check_dask_source
from features.dask.cluster import dask_client, release_memory
from features.messages import first_rows
from features.spec import DatasetSpec
from features.synth.export import ensure_export
from training.evaluate.skill import skill_report
from training.evaluate.splits import evaluated_rows, evaluation_splits, prediction_of, protocol_name
from training.fit.train import (
    SERVED,
    TrainOptions,
    TrainResult,
    baseline_fits,
    evaluate_models,
    final_model_summary,
    fit_model,
    predict_candidates,
    served_bands,
    source_column,
)
from training.model.boost import booster_params

log = logging.getLogger(__name__)
SAMPLE_ROWS = 200_000  # rows fitted in memory: encoder, logistic member, blend, calibration, tree count
SHOWN_ROWS = 200_000  # held-out rows gathered for the run's charts, explanations and page


def _rows(part: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    return part[keep]


def masked_parts(frame, mask: np.ndarray, sizes: list[int]) -> list[tuple[object, np.ndarray]]:
    """Each partition of a Dask DataFrame (delayed) with its slice of a whole-table row mask."""
    offsets = first_rows(sizes)
    return [(part, mask[o:o + n]) for part, o, n in zip(frame.to_delayed(), offsets, sizes, strict=True)]


def select_rows(frame, mask: np.ndarray, sizes: list[int]):
    """The rows of a Dask DataFrame where a whole-table mask is true; each partition gets only its slice."""
    import dask
    import dask.dataframe as dd

    parts = [dask.delayed(_rows)(part, keep) for part, keep in masked_parts(frame, mask, sizes)]
    return dd.from_delayed(parts, meta=frame._meta, verify_meta=False)


def _encode(part: pd.DataFrame, encoder, names: list[str]) -> pd.DataFrame:
    # float32: half the memory of the matrix lightgbm.dask gathers on each worker. LightGBM bins the
    # values anyway; category codes and counts are exact in float32.
    return pd.DataFrame(encoder.transform(part).astype(np.float32), columns=names, index=part.index)


def fit_on_dask(ts: DaskTrainingSet, rows, n_rows: int, options: TrainOptions, client) -> tuple[object, pd.DataFrame]:
    """The model Pipeline for these (Dask) training rows, and the in-memory sample it was shaped on."""
    from lightgbm import DaskLGBMClassifier

    seed = ts.spec.evaluation.seed
    share = min(1.0, SAMPLE_ROWS / n_rows)
    sample = (rows.sample(frac=share, random_state=seed) if share < 1 else rows).compute()
    # A lead's snapshot rows stay on one side of the learner's inner splits (one row per lead: no groups).
    pipeline = fit_model(sample[ts.features], sample["label"].to_numpy(), ts, options, None,
                         groups=sample["lead_id"].to_numpy())
    classifier = pipeline.named_steps["classify"]
    if classifier.weight_ == 0.0:  # the logistic member alone is served: no booster to grow on all rows
        return pipeline, sample
    encoder = pipeline.named_steps["encode"]
    names = [f"Column_{i}" for i in range(len(ts.features))]  # LightGBM's own names for unnamed columns
    meta = pd.DataFrame({name: pd.Series(dtype="float32") for name in names})
    # At least one partition per worker, so every worker takes part (LightGBM trains on the workers holding data).
    # Not persisted: the rows are a selection of the persisted training set, cheap to take again, and a
    # persisted copy of them would double the workers' memory (10,000,000 leads: past 20 GB).
    rows = rows.repartition(npartitions=max(rows.npartitions, len(client.scheduler_info()["workers"])))
    X = rows[ts.features].map_partitions(_encode, encoder, names, meta=meta)
    params = booster_params(classifier.params_, seed, options.n_jobs)
    params.pop("n_jobs")  # each worker uses its own threads
    started = time.monotonic()
    booster = DaskLGBMClassifier(client=client, n_estimators=classifier.n_estimators_, **params)
    booster.fit(X, rows["label"], categorical_feature=list(classifier.categorical_features) or "auto")
    log.debug("lightgbm.dask: %d trees on %d rows in %.1f s", classifier.n_estimators_, n_rows,
              time.monotonic() - started)
    # The booster of all rows replaces the sample's (a mean of folds or a refit).
    classifier.booster_, classifier.bagged_folds_ = booster.to_local().booster_, 0
    return pipeline, sample


def _held_predictions(part: pd.DataFrame, keep: np.ndarray, pipeline, baselines: dict, features: list[str],
                      source: str | None) -> pd.DataFrame:
    """On a worker: every candidate's probabilities for the partition's held-out rows, with their labels
    (and lead sources), so the client gathers a few numbers a row, not the rows."""
    held = part[keep]
    found = predict_candidates(pipeline, held[features])
    found.update({name: predict(held[features]) for name, predict in baselines.items()})
    found[_LABEL] = held["label"].to_numpy()
    if source:
        found[_SOURCE] = held[source].to_numpy()
    return pd.DataFrame(found)


_LABEL, _SOURCE = "__label__", "__source__"  # beside the candidates' columns, named apart from any candidate


def held_predictions(frame, mask: np.ndarray, sizes: list[int], pipeline, baselines: dict, features: list[str],
                     source: str | None) -> pd.DataFrame:
    """`_held_predictions` over every partition of a Dask DataFrame, gathered in row order and indexed
    by row position in the whole table."""
    import dask

    shared = dask.delayed(pipeline, pure=True), dask.delayed(baselines, pure=True)  # sent once, not per task
    parts = [dask.delayed(_held_predictions)(part, keep, *shared, features, source)
             for part, keep in masked_parts(frame, mask, sizes)
             if keep.any()]  # a partition with no held-out row (older leads, time split): no task
    return pd.concat(dask.compute(*parts)).set_axis(np.flatnonzero(mask))


def evaluate_dask(ts: DaskTrainingSet, options: TrainOptions, client) -> TrainResult:
    """The pandas engine's evaluate_all on a Dask training set: same splits, same metrics, same artifact.
    The held-out rows are predicted on the workers; the client gathers their predictions and labels, and
    at most SHOWN_ROWS of the rows themselves for the run's charts, explanations and page."""
    spec, frame = ts.spec, ts.frame
    # Snapshot rows split by snapshot date with a lead on one side (training/evaluate/splits.py): their
    # lead ids and dates come to the client too.
    light_columns = ["label"] + [c for c in ("created_at", "lead_id", "snapshot_at", "horizon_end")
                                 if c in frame.columns and ("snapshot_at" in frame.columns or c == "created_at")]
    light = frame[light_columns].compute().reset_index(drop=True)
    sizes = [int(n) for n in frame.map_partitions(len).compute()]
    splits = evaluation_splits(light, spec.evaluation.folds, spec.evaluation.seed)
    local = DaskTrainingSet(frame=frame._meta, feature_names=ts.feature_names, label_report=ts.label_report,
                            strengths=ts.strengths, spec=spec, glossary=ts.glossary, leak_warnings=ts.leak_warnings,
                            stats=ts.stats)
    source = source_column(local)
    gathered = []
    for train_rows, eval_rows in splits:
        train_mask, eval_mask = np.zeros(len(light), bool), np.zeros(len(light), bool)
        train_mask[train_rows], eval_mask[eval_rows] = True, True
        pipeline, sample = fit_on_dask(ts, select_rows(frame, train_mask, sizes), len(train_rows), options, client)
        baselines = {name: fit(sample[ts.features], sample["label"].to_numpy())  # on the same in-memory sample
                     for name, fit in baseline_fits(local).items()}
        gathered.append(held_predictions(frame, eval_mask, sizes, pipeline, baselines, ts.features, source))
        log.debug("dask evaluation: %d held-out rows scored", len(eval_rows))
    found = pd.concat(gathered).sort_index()  # one row per evaluated row, by position in the table
    rows = evaluated_rows(splits)
    predictions = {name: found[name].to_numpy() for name in found.columns.drop([_LABEL, _SOURCE], errors="ignore")}
    average = float(ts.stats["positives"] / ts.stats["rows"])
    report = evaluate_models(found[_LABEL].to_numpy(), predictions,
                             found[_SOURCE].reset_index(drop=True) if source else None, spec, average)
    # The rows themselves: a uniform sample of the held-out rows (all of them when there are few).
    shown = np.sort(np.random.default_rng(spec.evaluation.seed).choice(rows, min(SHOWN_ROWS, len(rows)),
                                                                        replace=False))
    shown_mask = np.zeros(len(light), bool)
    shown_mask[shown] = True
    held = select_rows(frame, shown_mask, sizes).compute().reset_index(drop=True)
    local.frame = held

    pipeline, _ = fit_on_dask(ts, frame, len(light), options, client)
    classifier = pipeline.named_steps["classify"]
    metrics = {
        "protocol": protocol_name(light, spec.evaluation.folds, prediction=prediction_of(spec)),
        "rows_evaluated": int(len(rows)),
        "served": SERVED,
        "engine": "dask",
        "models": report,
        "bands": served_bands(spec, predictions[SERVED], average),
        "source_column": ts.feature_names.get(source, source) if source else None,
        "final_model": final_model_summary(classifier),
        "skill": skill_report(found[_LABEL].to_numpy(), predictions, SERVED, spec.evaluation.seed),
    }
    # The run's table, charts and page use the shown rows; the metrics and the profile use every row.
    return TrainResult(metrics=metrics, pipeline=pipeline, training_set=local,
                       predictions={name: found.loc[shown, name].to_numpy() for name in predictions},
                       rows=np.arange(len(held)))


def train_on_dask(spec: DatasetSpec, options: TrainOptions, scheduler: str | None = None) -> TrainResult:
    """Build and evaluate on the cluster, then track the run in MLflow exactly as the pandas engine does."""
    ensure_export(spec)
    started = time.monotonic()
    check_dask_source(spec)
    with dask_client(scheduler) as client:
        ts = build_training_set_dask(spec)  # the leads as read are released here; training rows stay
        log.debug("dask workers after the build: %s MB", client.run(release_memory))
        result = evaluate_dask(ts, options, client)
    result.started = started
    from training.registry.publish import write_and_publish  # MLflow is imported only when a run is recorded

    write_and_publish(result, options)
    return result
