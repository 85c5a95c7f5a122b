"""Build an honest training set from a dataset spec: lead_id, created_at, label and safe-named features.

Steps: load leads, label them point-in-time, keep only columns allowed as features, refuse personal
data and leaks, profile the result. Writing is atomic: on any error nothing is left behind.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.amounts import amount_series, is_amount_column
from features.atomic import replace_all_atomically
from features.checks import check_enough, check_not_future
from features.clock import clock_series, is_clock_column
from features.columns import is_numeric_column
from features.csv_shape import some_columns
from features.dates import looks_like_dates, parse_dates
from features.derived import derived_leaks
from features.errors import LeadscoreError
from features.glossary import EMPTY, Glossary, load_glossary
from features.keys import id_text
from features.labels import LabelReport, labels_from_column, labels_from_table, outcome_open
from features.leakage import ColumnStrength, check_leaks, column_strengths, leak_warnings
from features.load import blank_placeholders, load_table, require_columns
from features.messages import shown
from features.names import safe_name, safe_names
from features.spec import DatasetSpec

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[\d\s().\-]{7,20}$")


@dataclass
class TrainingSet:
    """A labelled, leak-checked table plus what is needed to explain and reproduce it."""

    frame: pd.DataFrame  # lead_id, [created_at], [snapshot_at, horizon_end], label, then features (safe names)
    feature_names: dict[str, str]  # safe name -> original column name
    label_report: LabelReport  # how the labels were drawn: snapshot, leads left out, unmatched outcomes
    strengths: list[ColumnStrength]
    spec: DatasetSpec
    glossary: Glossary = field(default_factory=lambda: EMPTY)  # display names of fields and values
    leak_warnings: list[dict] = field(default_factory=list)  # strong columns let through: see leak_warnings()
    relation: object = None  # features/relate.py Relation: lookups and activities, when the spec has them

    def warnings(self) -> list[str]:
        """What a user must look at before trusting this set: label order problems, strong columns let through."""
        found = list(self.label_report.warnings()) + (self.relation.warnings() if self.relation else [])
        for item in self.leak_warnings:
            if item["declared_honest"]:
                continue
            found.append(f"column {item['column']!r} alone separates the outcome at ROC-AUC {item['auc']:.3f}: "
                         f"{item['advice']}")
        return found

    @property
    def features(self) -> list[str]:
        return list(self.feature_names)

    def frame_stats(self) -> dict:
        """The figures the profile needs from the rows (the Dask engine computes them on its cluster)."""
        window = None
        if "created_at" in self.frame:
            window = [str(self.frame["created_at"].min()), str(self.frame["created_at"].max())]
        return {"rows": int(len(self.frame)), "positives": int(self.frame["label"].sum()), "window": window,
                "missing_share": {c: float(self.frame[c].isna().mean()) for c in self.feature_names},
                "distinct": {c: int(self.frame[c].nunique(dropna=True)) for c in self.feature_names}}

    def write_frame(self, path: Path) -> None:
        self.frame.to_parquet(path, index=False)

    def profile(self) -> dict:
        """Rows, positive rate and per-column type, missing share and distinct values."""
        stats = self.frame_stats()
        columns = {}
        strength = {s.column: s.auc for s in self.strengths}
        for safe, original in self.feature_names.items():
            columns[safe] = {
                "original": original,
                "type": "numeric" if is_numeric_column(self.frame[safe]) else "categorical",
                "missing_share": round(stats["missing_share"][safe], 4),
                "distinct": stats["distinct"][safe],
                "single_column_auc": round(strength.get(safe, float("nan")), 4),
            }
        return {
            "name": self.spec.name,
            "rows": stats["rows"],
            "positives": stats["positives"],
            "positive_rate": round(stats["positives"] / stats["rows"], 4),
            "data_window": stats["window"],
            "labels": asdict(self.label_report),
            "label_warnings": self.label_report.warnings(),
            "leak_warnings": self.leak_warnings,
            "never_features": sorted(self.spec.never_features()),
            "columns": columns,
            **(self.relation.profile() if self.relation else {}),
        }


def check_ids(ids: pd.Series, source: str, column: str) -> None:
    if ids.isna().any():
        row = int(ids.isna().to_numpy().nonzero()[0][0])
        raise LeadscoreError(f"{source}: lead id column {column!r} is empty at data row {row + 1}")
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        rows = duplicated.to_numpy().nonzero()[0][:2]
        raise LeadscoreError(
            f"{source}: lead id {shown(ids.iloc[rows[0]])} in column {column!r} appears more than once "
            f"(data rows {rows[0] + 1} and {rows[1] + 1}); each lead must appear once"
        )


def check_personal_data(frame: pd.DataFrame, source: str) -> None:
    """Refuse undeclared columns that look like emails or phone numbers: they must be declared as pii."""
    for column in frame.columns:
        if is_numeric_column(frame[column]) or looks_like_dates(frame[column]):  # a date is never personal data
            continue
        sample = frame[column].dropna().astype("string").head(500)
        if len(sample) < 20:
            continue
        for kind, pattern in (("email addresses", EMAIL), ("phone numbers", PHONE)):
            if sample.str.fullmatch(pattern).mean() > 0.5:
                raise LeadscoreError(
                    f"{source}: column {column!r} looks like personal data ({kind}); personal data is never "
                    "a feature: list it under 'features.pii' in the spec"
                )


def feature_frame(leads: pd.DataFrame, spec: DatasetSpec, reserved: set[str],
                  empty: list[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Allowed feature columns under safe names; bool columns become 0/1 numbers. `empty`: the columns with
    no value in the whole table (the Dask engine finds them over all partitions; default: in `leads`)."""
    allowed = [c for c in leads.columns if c not in spec.never_features() and c not in reserved]
    if empty is None:
        empty = [c for c in allowed if leads[c].isna().all()]
    if empty:  # e.g. the blank column a trailing comma in a CSV header makes: it carries nothing
        log.info("dropping %d column(s) with no values: %s", len(empty), some_columns(empty))
        allowed = [c for c in allowed if c not in empty]
    mapping = safe_names(allowed)
    features = leads[allowed].rename(columns=mapping)
    for column in features.columns:
        if is_clock_column(features[column]):  # 13:45:20 is 49,520 seconds, not one of 3,777 categories
            features[column] = clock_series(features[column])
        elif is_amount_column(features[column]):  # $1,234.50 is a number, not one of 2,374 categories
            features[column] = amount_series(features[column])
        elif pd.api.types.is_bool_dtype(features[column]):
            features[column] = features[column].astype("float64")
        elif not is_numeric_column(features[column]):
            features[column] = features[column].astype("string")
    return features, {safe: original for original, safe in mapping.items()}


def check_glossary(spec: DatasetSpec, columns, source: str) -> Glossary:
    """The spec's display glossary; a name that matches no column is a typo, not a silent no-op."""
    glossary = load_glossary(spec.display)
    known = {safe_name(str(c)) for c in columns}
    unknown = sorted(n for n in glossary.field_names() if safe_name(n) not in known)
    if unknown:
        raise LeadscoreError(f"{spec.display}: display names field(s) {', '.join(map(repr, unknown))} that are "
                             f"no column of {source}; fix the spelling or remove them")
    return glossary


def build_training_set(spec: DatasetSpec, as_of: str | None = None, check_leakage: bool = True) -> TrainingSet:
    """Load, label and check the leads a spec describes. Raises LeadscoreError on bad input."""
    leads_spec, outcome = spec.leads, spec.outcome
    source = leads_spec.describe()
    leads = load_table(leads_spec.path, leads_spec.sql, "leads", leads_spec.encoding, leads_spec.sheet,
                       "leads.sheet")
    declared = [leads_spec.id] + ([leads_spec.created_at] if leads_spec.created_at else [])
    require_columns(leads, [leads_spec.id], source, "leads.id")
    if pd.api.types.is_float_dtype(leads[leads_spec.id]):  # 123.0 (a workbook's number, a CSV's blank) is '123'
        leads[leads_spec.id] = id_text(leads[leads_spec.id])
    if leads_spec.created_at:
        require_columns(leads, [leads_spec.created_at], source, "leads.created_at")
    related = bool(spec.lookups or spec.activities)
    if not related:
        check_declared(spec, leads, source)
    leads = blank_placeholders(leads, leads_spec.missing_values)
    ids = leads[leads_spec.id]
    check_ids(ids, source, leads_spec.id)

    created_at = None
    if leads_spec.created_at:
        created_at = parse_dates(leads[leads_spec.created_at], leads_spec.date_format, source, leads_spec.created_at,
                                 "leads.date_format", ids)
        check_not_future(created_at, ids, source, leads_spec.created_at)
    snapshot = pd.Timestamp(as_of) if as_of else None
    snapshots = None
    if spec.activities is not None and spec.activities.prediction.snapshots:  # a row per lead per snapshot
        from features.snapshots import snapshot_rows

        snapshots, report, counted = snapshot_rows(spec, leads, ids, created_at, snapshot, source)
        leads = leads.iloc[snapshots.position].reset_index(drop=True)
        ids, created_at = ids.iloc[snapshots.position].reset_index(drop=True), \
            created_at.iloc[snapshots.position].reset_index(drop=True)
    relation = None
    if related:  # lookups joined and engagement added first: the spec may name their columns too
        from features.relate import relate_leads

        leads, relation = relate_leads(spec, leads, ids, created_at, source,
                                       None if snapshots is None else snapshots.at)
        check_declared(spec, leads, source)
    glossary = check_glossary(spec, leads.columns, source)

    if snapshots is not None:
        labels, known = pd.Series(snapshots.label, index=leads.index), pd.Series(snapshots.known, index=leads.index)
        relation.snapshots = counted
    elif outcome.is_table:
        labels, known, report = labels_from_table(ids, created_at, outcome, snapshot)
    else:
        labels, report = labels_from_column(leads, ids, outcome, source), LabelReport()
        still_open = outcome_open(leads[outcome.column], outcome)
        report.still_open = int(still_open.sum())
        known = ~still_open if report.still_open else None

    reserved = set(declared) | ({outcome.column} if outcome.column else set())
    features, names = feature_frame(leads, spec, reserved)
    check_personal_data(features.rename(columns=names), source)

    parts = {"lead_id": ids.astype("string")}
    if created_at is not None:
        parts["created_at"] = created_at
    if snapshots is not None:  # each row's prediction time and when its label is known: the evaluation splits by them
        parts["snapshot_at"] = pd.Series(snapshots.at, index=leads.index)
        parts["horizon_end"] = parts["snapshot_at"] + pd.Timedelta(days=spec.activities.prediction.horizon_days)
    parts["label"] = labels
    frame = pd.concat([pd.DataFrame(parts, index=leads.index), features], axis=1)
    if relation is not None and relation.keep is not None:  # already won at the prediction time: nothing to score
        known = relation.keep if known is None else known.to_numpy() & relation.keep
    if known is not None:
        frame = frame[np.asarray(known)].reset_index(drop=True)
    if frame.empty:
        raise LeadscoreError(f"{source}: no lead has a known outcome yet (snapshot {report.snapshot})")
    y = frame["label"].to_numpy()
    check_enough(y, spec.evaluation.folds if check_leakage else 1, source)

    strengths = []
    if check_leakage and names:
        groups = pd.factorize(frame["lead_id"])[0] if snapshots is not None else None
        strengths = column_strengths(frame[list(names)], y, spec.evaluation.folds, spec.evaluation.seed, groups)
        check_leaks(strengths, spec.features.leak_threshold, set(spec.features.allow_strong), names)
    warnings = leak_warnings(strengths, spec.features.leak_warn, names, set(spec.features.allow_strong))
    if check_leakage and names:
        rows = leads if known is None else leads[np.asarray(known)]
        warnings += derived_warnings(rows[list(names.values())].reset_index(drop=True), y, spec)
    return TrainingSet(frame=frame, feature_names=names, label_report=report, strengths=strengths, spec=spec,
                       glossary=glossary, leak_warnings=warnings, relation=relation)


def check_declared(spec: DatasetSpec, leads: pd.DataFrame, source: str) -> None:
    for key in ("exclude", "known_after_contact", "pii", "allow_strong", "people"):
        # A misspelt pii or known_after_contact column would silently become a feature; a misspelt
        # people column would show its persons on the page unscreened.
        require_columns(leads, getattr(spec.features, key), source, f"features.{key}")


def derived_warnings(originals: pd.DataFrame, y: np.ndarray, spec: DatasetSpec) -> list[dict]:
    """Pairs of time or date columns whose difference alone separates the outcome (features/derived.py):
    from `leak_threshold` the build stops unless both columns are in `allow_strong`; from `leak_warn` a warning."""
    allow = set(spec.features.allow_strong)
    found = []
    for later, earlier, auc in derived_leaks(originals, y, spec.features.leak_warn, spec.evaluation.folds,
                                             spec.evaluation.seed):
        honest = later in allow and earlier in allow
        if auc >= spec.features.leak_threshold and not honest:
            raise LeadscoreError(
                f"leak guard: {later} − {earlier}: the difference of these two columns alone separates the outcome "
                f"at ROC-AUC {auc:.3f} (at or above {spec.features.leak_threshold:.2f}); a time filled in during or "
                f"after contact leaks the outcome: add {later!r} to 'features.known_after_contact'")
        found.append({"column": f"{later} − {earlier}", "auc": round(auc, 4), "declared_honest": honest,
                      "derived_from": [later, earlier],
                      "advice": f"their difference leaks the outcome when either is filled in during or after contact: "
                                f"list {later!r} under 'features.known_after_contact'"})
    return found


def profile_path(out: Path) -> Path:
    return out.with_name(out.stem + ".profile.json")


def write_training_set(training_set: TrainingSet, out: str | Path) -> tuple[Path, Path]:
    """Write the Parquet file and its JSON profile atomically: both appear, or neither."""
    out = Path(out)
    profile = profile_path(out)
    text = json.dumps(training_set.profile(), indent=2, default=_json_default)
    replace_all_atomically({out: lambda temp: training_set.write_frame(Path(temp)),
                            profile: lambda temp: Path(temp).write_text(text, encoding="utf-8")})
    return out, profile


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
