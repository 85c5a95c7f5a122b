"""Snapshot rows (several per lead): every split the learner makes inside its own fit keeps a lead's rows
on one side: early stopping's inner folds and the large-table holdout, the calibration's folds, the
tuner's folds and its sample. With one row per lead the splits are the plain stratified ones, unchanged.

Each row carries its lead as a numeric feature (`lead_tag`), so spies inside the fit can tell the leads
of the rows they see."""

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, train_test_split

import training.fit.train as train_module
import training.model.blend as blend_module
import training.model.boost as boost_module
import training.model.tune as tune_module
from features.build import TrainingSet, build_training_set
from features.folds import holdout, row_groups, sample, stratified_folds
from features.spec import DatasetSpec

SNAPSHOTS = {"snapshot_every_days": 14, "horizon_days": 30, "max_age_days": 42}


@pytest.fixture(scope="module")
def tagged_snapshots(synthetic_spec, synthetic_dir, tmp_path_factory):
    """The synthetic export's first 1,500 leads as snapshot rows, each row tagged with its lead."""
    folder = tmp_path_factory.mktemp("grouped")
    pd.read_csv(synthetic_dir / "leads.csv").head(1500).to_csv(folder / "leads.csv", index=False)
    raw = copy.deepcopy(synthetic_spec)
    raw["leads"]["path"] = str(folder / "leads.csv")
    raw["outcome"].pop("horizon_days", None)
    raw["activities"]["prediction"] = dict(SNAPSHOTS)
    ts = build_training_set(DatasetSpec.model_validate(raw))
    frame = ts.frame.copy()
    assert frame["lead_id"].duplicated().any()
    frame["lead_tag"] = pd.factorize(frame["lead_id"])[0].astype(float)
    return TrainingSet(frame=frame, feature_names={**ts.feature_names, "lead_tag": "lead_tag"},
                       label_report=ts.label_report, strengths=[], spec=ts.spec, relation=ts.relation)


def _spy_inner_fits(monkeypatch, tag: int) -> list[tuple[set, set]]:
    """(leads fitted, leads held) of every booster fit that stops early on held rows."""
    seen, real = [], boost_module.fit_booster

    def spy(X, y, params, categorical, seed, n_jobs, n_estimators, eval_set=None, *args, **kwargs):
        if eval_set is not None:
            seen.append((set(X[:, tag]), set(eval_set[0][:, tag])))
        return real(X, y, params, categorical, seed, n_jobs, n_estimators, eval_set, *args, **kwargs)

    monkeypatch.setattr(boost_module, "fit_booster", spy)
    return seen


def _spy_calibration_folds(monkeypatch) -> list:
    """The groups and splits of every calibration choice."""
    seen, real = [], stratified_folds

    def spy(y, n_folds, seed, groups=None):
        splits = real(y, n_folds, seed, groups)
        seen.append((groups, splits))
        return splits

    monkeypatch.setattr(blend_module, "stratified_folds", spy, raising=False)
    return seen


def _fit(ts: TrainingSet, options):
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    return X, train_module.fit_model(X, y, ts, options, None, groups=train_module.lead_groups(ts, X))


@pytest.mark.parametrize("holdout_rows", [boost_module.HOLDOUT_ROWS, 1000], ids=["k-fold", "holdout"])
def test_every_inner_split_keeps_a_lead_on_one_side(tagged_snapshots, fast_options, monkeypatch, holdout_rows):
    monkeypatch.setattr(boost_module, "HOLDOUT_ROWS", holdout_rows)  # 1000: this table takes the holdout branch
    # and the tuner takes a sample, smaller than the holdout size as in use
    monkeypatch.setattr(tune_module, "TUNE_SAMPLE_ROWS", 900)
    tag = tagged_snapshots.features.index("lead_tag")
    fits = _spy_inner_fits(monkeypatch, tag)
    calibrations = _spy_calibration_folds(monkeypatch)
    samples, real_inner_cv = [], tune_module.inner_cv
    monkeypatch.setattr(tune_module, "inner_cv",
                        lambda X, *a, **k: samples.append(X[:, tag]) or real_inner_cv(X, *a, **k))
    X, pipeline = _fit(tagged_snapshots, fast_options)

    assert len(X) > 900 and (len(X) >= holdout_rows) == (holdout_rows == 1000)
    expected = 2 * fast_options.tune_trials + (1 if holdout_rows == 1000 else 3)  # tuner's 2 folds, then the fit's
    assert len(fits) == expected
    for fitted, held in fits:
        assert held and fitted and not fitted & held
    # the tuner's sample holds whole leads: every row of each lead it picked
    per_lead = X["lead_tag"].value_counts()
    for picked in samples:
        counts = pd.Series(picked).value_counts()
        assert 0 < len(picked) < len(X)
        assert (counts == per_lead.loc[counts.index].to_numpy()).all()
    # the calibration is chosen on folds of whole leads
    assert calibrations
    for groups, splits in calibrations:
        assert groups is not None
        for fit_rows, held_rows in splits:
            assert not set(groups[fit_rows]) & set(groups[held_rows])
    assert pipeline.named_steps["classify"].calibration_ in ("none", "sigmoid", "isotonic")


def test_one_row_per_lead_splits_exactly_as_without_groups():
    rng = np.random.default_rng(3)
    y = (rng.random(900) < 0.3).astype(int)
    ids = np.array([f"L{i}" for i in range(900)], dtype=object)
    assert row_groups(ids) is None
    for (a_fit, a_held), (b_fit, b_held) in zip(
            stratified_folds(y, 3, 5, ids),
            StratifiedKFold(n_splits=3, shuffle=True, random_state=5).split(np.zeros(900), y), strict=True):
        assert (a_fit == b_fit).all() and (a_held == b_held).all()
    fit, held = train_test_split(np.arange(900), test_size=0.2, stratify=y, random_state=5)
    assert (holdout(y, 0.2, 5, ids)[1] == held).all() and (holdout(y, 0.2, 5, ids)[0] == fit).all()
    picked, _ = train_test_split(np.arange(900), train_size=300, stratify=y, random_state=5)
    assert (sample(y, 300, 5, ids) == picked).all()


def test_grouped_holdout_and_sample_take_whole_leads_near_the_asked_share():
    rng = np.random.default_rng(4)
    leads = np.repeat(np.arange(2000), rng.integers(1, 8, 2000))
    y = (rng.random(len(leads)) < 0.2).astype(int)
    fit, held = holdout(y, 0.2, 0, leads)
    assert not set(leads[fit]) & set(leads[held])
    assert sorted(np.r_[fit, held]) == list(range(len(leads)))
    assert len(held) == pytest.approx(0.2 * len(leads), rel=0.02)
    picked = sample(y, 3000, 0, leads)
    assert len(picked) == pytest.approx(3000, abs=8)
    assert set(np.flatnonzero(np.isin(leads, leads[picked]))) == set(picked)  # every row of each picked lead


def test_grouped_inner_folds_are_not_fooled_by_a_lead_on_both_sides(tagged_snapshots):
    """Measured on the snapshot rows' own time split: split by rows, the inner out-of-fold log loss that
    chooses the trees, the blend and the calibration is far better than what the held-out rows see (a
    lead's other rows were in the fit), early stopping stops late, and held out the model is worse.
    Split by lead, the inner estimate is honest and the held-out Brier score lower."""
    from sklearn.metrics import brier_score_loss, log_loss

    from training.evaluate.splits import evaluation_splits
    from training.model.classifier import make_pipeline

    ts = tagged_snapshots
    X, y = ts.frame[[c for c in ts.features if c != "lead_tag"]], ts.frame["label"].to_numpy()
    (train, held), = evaluation_splits(ts.frame, 5, 0)
    found = {}
    for name, groups in (("rows", None), ("leads", ts.frame["lead_id"].to_numpy()[train])):
        pipeline = make_pipeline(X, ts.feature_names, context=ts.relation.context)
        pipeline.fit(X.iloc[train], y[train], classify__groups=groups)
        classifier = pipeline.named_steps["classify"]
        p = pipeline.predict_proba(X.iloc[held])[:, 1]
        found[name] = {"inner_log_loss": classifier.blend_log_loss_[classifier.weight_],
                       "held_log_loss": log_loss(y[held], p), "held_brier": brier_score_loss(y[held], p),
                       "trees": classifier.n_estimators_}
    rows, leads = found["rows"], found["leads"]
    optimism = {name: f["held_log_loss"] - f["inner_log_loss"] for name, f in found.items()}
    assert optimism["rows"] > optimism["leads"] + 0.02, found
    assert rows["trees"] > leads["trees"], found
    assert leads["held_brier"] < rows["held_brier"], found
