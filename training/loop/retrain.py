"""`leadscore retrain`: the latest leads plus the imported outcomes -> a new model, promoted only
through the champion gate of `train --promote`; optionally the running service reloads.

The spec's table of won deals is joined with the imported won outcomes (same lead id, first win
counts), then labels are drawn point-in-time exactly as `build` draws them: a lead whose horizon has
not closed is left out, not counted as lost. When the spec has activities and the loop database holds
imported ones (`leadscore activities import`), the engagement features are built from the spec's
events plus the imported ones (each event once), point-in-time as `build` builds them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.dates import parse_dates
from features.errors import LeadscoreError
from features.keys import id_text
from features.load import load_table, safe_url
from features.messages import Line, Say, say_nothing
from features.spec import DatasetSpec
from features.synth.export import ensure_export
from training.fit.train import TrainOptions, TrainResult
from training.registry.publish import train_and_publish

EXIT_PROMOTED, EXIT_KEPT = 0, 3


@dataclass
class Champion:
    version: str | None
    rows: int | None
    window: object
    metrics: dict


@dataclass
class RetrainResult:
    before: Champion | None
    result: TrainResult
    imported_wins: int
    imported_activities: int = 0  # imported events added to the spec's (0: the spec's events alone)

    @property
    def exit_code(self) -> int:
        return EXIT_PROMOTED if self.result.promoted else EXIT_KEPT


def imported_wins(db_url: str) -> pd.DataFrame:
    """Won outcomes from `leadscore outcomes import`: lead_id, outcome_at (UTC, naive)."""
    from training.loop.store import open_engine, outcomes

    engine = open_engine(db_url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("outcomes"):
                raise LeadscoreError(f"{safe_url(db_url)}: no imported outcomes; run `leadscore outcomes import` first")
            wins = pd.read_sql_query(sa.select(outcomes.c.lead_id, outcomes.c.outcome_at).where(
                outcomes.c.outcome == "won"), connection)
    except sa.exc.SQLAlchemyError as exc:
        raise LeadscoreError(f"{safe_url(db_url)}: cannot read outcomes: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    wins["outcome_at"] = pd.to_datetime(wins["outcome_at"], utc=True).dt.tz_localize(None)
    return wins


def with_imported_outcomes(spec: DatasetSpec, wins: pd.DataFrame, folder: Path) -> DatasetSpec:
    """A copy of the spec whose outcome table is its own won deals plus the imported wins."""
    outcome = spec.outcome
    if not outcome.is_table:
        raise LeadscoreError(f"spec {spec.name!r} reads outcomes from the leads column {outcome.column!r}; "
                             "retrain adds imported outcomes to a table of won deals: set 'outcome.path' or "
                             "'outcome.sql' with 'id' (and 'won_at') in the spec")
    table = load_table(outcome.path, outcome.sql, "outcomes", outcome.encoding, outcome.sheet, "outcome.sheet")
    own = pd.DataFrame({outcome.id: id_text(table[outcome.id])})
    imported = pd.DataFrame({outcome.id: wins["lead_id"].astype("string")})
    if outcome.won_at:  # read as the build reads them: the spec's date_format (a pattern, epoch_ms...)
        own[outcome.won_at] = parse_dates(table[outcome.won_at], outcome.date_format, outcome.describe(),
                                          outcome.won_at, "outcome.date_format", own[outcome.id])
        imported[outcome.won_at] = wins["outcome_at"]
    combined = pd.concat([own, imported], ignore_index=True).drop_duplicates()
    path = folder / "outcomes.parquet"
    combined.to_parquet(path, index=False)
    return spec.model_copy(update={"outcome": outcome.model_copy(update={
        "path": str(path), "sql": None, "sheet": None, "encoding": None, "date_format": None})})


def with_imported_activities(spec: DatasetSpec, db_url: str, folder: Path) -> tuple[DatasetSpec, int]:
    """A copy of the spec whose activity table is its own events plus the imported ones, each event
    (lead, time, type, channel) once, and how many imported events were new to it. The spec unchanged
    when it has no activities or nothing was imported."""
    from features.activity_load import read_activities
    from training.loop.activities import stored_activities

    act = spec.activities
    if act is None:
        return spec, 0
    stored = stored_activities(db_url)
    if stored.empty:
        return spec, 0
    own, _ = read_activities(act)  # normalised as the build reads it: naive UTC, trimmed, checked
    columns = ["lead", "at", "type"] + (["channel"] if act.channel else [])
    stored = stored.assign(lead=stored["lead"].astype("string"), type=stored["type"].astype("string"))
    if act.channel:
        stored["channel"] = stored["channel"].astype(object).where(stored["channel"].notna(), None)
        own["channel"] = own["channel"].astype(object).where(own["channel"].notna(), None)
    key = own[columns].astype({"at": "datetime64[ns]"})
    combined = pd.concat([key, stored[columns].astype({"at": "datetime64[ns]"})], ignore_index=True)
    combined = combined[~combined.duplicated()]  # an event in both counts once
    added = len(combined) - len(key.drop_duplicates())
    names = {"lead": act.lead_id, "at": act.at, "type": act.type, "channel": act.channel}
    path = folder / "activities.parquet"  # times as datetimes: read as naive UTC, whatever the spec's zone
    combined.rename(columns=names).to_parquet(path, index=False)
    return spec.model_copy(update={"activities": act.model_copy(update={"path": str(path), "sql": None,
                                                                       "value": None})}), added


def champion_before(name: str) -> Champion | None:
    from mlflow.exceptions import MlflowException

    from training.registry.tracking import CHAMPION, load_model

    try:
        model = load_model(f"models:/{name}@{CHAMPION}")
    except (LeadscoreError, MlflowException):
        return None
    meta = model.metadata
    return Champion(version=model.version, rows=meta.rows, window=meta.data_window, metrics=meta.served_metrics())


def retrain(spec: DatasetSpec, db_url: str, options: TrainOptions, progress=None) -> RetrainResult:
    ensure_export(spec)
    wins = imported_wins(db_url)
    name = options.model_name or f"leadscore-{spec.name}"
    options.model_name, options.register, options.promote = name, True, True
    before = champion_before(name)
    with tempfile.TemporaryDirectory(prefix="leadscore-retrain-") as folder:
        spec, added = with_imported_activities(spec, db_url, Path(folder))
        result = train_and_publish(with_imported_outcomes(spec, wins, Path(folder)), options, progress)
    return RetrainResult(before=before, result=result, imported_wins=len(wins), imported_activities=added)


def run_retrain(spec: Path, db: str | None, tune_trials: int = TrainOptions.tune_trials, model_name: str | None = None,
                      service: str | None = None, say: Say = say_nothing) -> int:
    """`leadscore retrain`: retrain, say what changed, reload `service` when promoted; the exit code
    (0 promoted, 3 champion kept)."""
    from features.spec import load_spec
    from training.loop.service_client import reload_service
    from training.loop.store import database_url

    options = TrainOptions(tune_trials=tune_trials, model_name=model_name)
    outcome = retrain(load_spec(spec), database_url(db), options)
    for line in retrain_lines(outcome):
        say(line)
    if outcome.result.promoted and service:
        answer = reload_service(service)
        say(Line(f"service {service} reloaded: now version {answer.get('version')}"))
    return outcome.exit_code


def retrain_lines(outcome: RetrainResult) -> list[Line]:
    """Wins imported, the data window and rows before and after, the metrics before and after, the decision."""
    result, before = outcome.result, outcome.before
    new = result.metrics["models"][result.metrics["served"]]
    profile = result.training_set.profile()
    lines = [Line(f"imported wins used: {outcome.imported_wins:,}"),
             Line(f"imported activity events added: {outcome.imported_activities:,}"),
             Line(f"window: {before.window if before else '-'} -> {profile['data_window']}"),
             Line(f"rows: {f'{before.rows:,}' if before and before.rows else '-'} -> {profile['rows']:,}")]
    if before:
        lines.append(Line(f"ROC-AUC {before.metrics.get('roc_auc', float('nan')):.4f} -> {new['roc_auc']:.4f}, "
                          f"Brier {before.metrics.get('brier', float('nan')):.4f} -> {new['brier']:.4f}"))
    colour = "green" if result.promoted else "yellow"
    lines.append(Line(f"[{colour}]{'promoted' if result.promoted else 'champion kept'}[/] (version {result.version}): "
                      f"{result.gate_message}"))
    return lines
