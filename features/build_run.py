"""`leadscore build` as one call: read the spec, build the labelled, leak-checked training set on this
machine or on a Dask cluster, write it with its profile, and say what it holds. The CLI only turns its
options into arguments and prints the lines."""

from __future__ import annotations

from pathlib import Path

from features.build import TrainingSet
from features.messages import Line, Rows, Say, say_nothing, warn_all

NUMBER_COLUMNS = ("missing", "distinct", "1-col AUC")


def run_build(spec: Path, out: Path, as_of: str | None = None, engine: str = "pandas",
                    scheduler: str | None = None, say: Say = say_nothing) -> TrainingSet:
    """Build and write the training set of `spec` (the synthetic export is written when missing)."""
    from features.build import build_training_set, write_training_set
    from features.spec import load_spec
    from features.synth.export import ensure_export

    dataset = load_spec(spec)
    ensure_export(dataset)
    if engine == "dask":
        from features.dask.run import build_on_dask

        training_set, (parquet, profile) = build_on_dask(dataset, out, as_of, scheduler)
    else:
        training_set = build_training_set(dataset, as_of=as_of)
        parquet, profile = write_training_set(training_set, out)
    say(Line(profile_table(training_set.profile())))
    report = training_set.label_report
    if report.summary():
        say(Line(report.summary(), highlight=False))
    if training_set.relation is not None and training_set.relation.summary():
        say(Line(training_set.relation.summary(), highlight=False))
    warn_all(say, training_set.warnings())
    snapshots = training_set.relation is not None and training_set.relation.snapshots is not None
    if report.not_yet_known:
        say(Line(f"left out {report.not_yet_known:,} {'snapshot rows' if snapshots else 'leads'} whose outcome is "
                 f"not yet known (horizon not closed at snapshot {report.snapshot})"))
    if report.still_open:
        say(Line(f"left out {report.still_open:,} open leads (outcome not known yet: 'outcome.open'); they are "
                 "the ones `leadscore score` is for"))
    say(Line(f"wrote {parquet} and {profile}"))
    return training_set


def profile_table(profile: dict) -> Rows:
    """Each column of the training set: its original name, type, missing share, distinct values, and the
    ROC-AUC it reaches alone."""
    table = Rows(f"{profile['name']}: {profile['rows']:,} leads, {profile['positive_rate']:.1%} positive",
                 ("column", "original", "type", "missing", "distinct", "1-col AUC"), NUMBER_COLUMNS)
    for name, col in profile["columns"].items():
        table.add(name, col["original"], col["type"], f"{col['missing_share']:.1%}", f"{col['distinct']:,}",
                      f"{col['single_column_auc']:.3f}")
    return table
