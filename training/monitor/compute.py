"""`leadscore monitor`: how the served scores held up against the outcomes that came back.

Reads the prediction log (API and batch answers; the managers' page explainer is left out) and the
imported outcomes, and reports calibration per band over time, ROC-AUC of the model and of the rule
score on matured leads, drift (PSI per feature, band mix, share of answers from the rules) against
the summary the model keeps of its training data, speed to lead, source quality and log write
failures. A lead scored several times is judged by its latest score.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from features.config_file import Strict, load_yaml_model
from features.errors import LeadscoreError
from features.load import safe_url
from features.names import safe_name
from training.evaluate.drift import feature_psi, psi
from training.evaluate.metrics import BANDS, safe_auc
from training.registry.contract import ModelMetadata
from training.scoring.answer import follow_up_actions

DEFAULT_THRESHOLDS = Path(__file__).resolve().parents[2] / "data" / "specs" / "monitor.yaml"
RESPONSE_BUCKETS = [0, 1, 4, 24, 72, np.inf]  # hours
RESPONSE_LABELS = ["<1h", "1-4h", "4-24h", "24-72h", ">72h"]


class Thresholds(Strict):
    psi: float = 0.2
    band_share_change: float = 0.15
    rules_share: float = 0.2
    calibration_gap: float = 0.10
    min_auc: float = 0.65
    min_leads: int = 100
    write_failures: int = 0
    fast_response_hours: float = 4.0
    # Only to override: by default the hot band's deadline is the served model's hot action (`hot_deadline`)
    hot_deadline_hours: float | None = Field(default=None, gt=0.0)


def load_thresholds(path: str | Path | None) -> Thresholds:
    return load_yaml_model(path or DEFAULT_THRESHOLDS, Thresholds, "monitor thresholds",
                           "pass --thresholds with a YAML file like data/specs/monitor.yaml")


@dataclass
class MonitorResult:
    model_name: str | None
    rows: int
    matured: int
    sections: dict = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)


def read_log(db_url: str, since: str | None, model: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predictions, outcomes) from the database; the page's explainer rows are left out."""
    from training.loop.store import open_engine, outcomes
    from training.loop.store import predictions as p

    where = [p.c.origin.in_(["api", "batch"])]
    if since:
        try:
            start = pd.Timestamp(since, tz="UTC")
        except ValueError:
            raise LeadscoreError(f"--since {since!r} is not a date; use ISO, e.g. 2026-03-31") from None
        where.append(p.c.logged_at >= start.to_pydatetime())
    if model:
        where.append(p.c.model_name == model)
    columns = [p.c.logged_at, p.c.lead_id, p.c.model_name, p.c.model_version, p.c.source, p.c.probability,
               p.c.band, p.c.rule_score, p.c.inputs]
    engine = open_engine(db_url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("predictions"):
                raise LeadscoreError(f"{safe_url(db_url)}: no prediction log here; score leads first")
            log = fetch_frame(connection, sa.select(*columns).where(*where), floats=("probability", "rule_score"))
            has_outcomes = sa.inspect(connection).has_table("outcomes")
            found = fetch_frame(connection, sa.select(outcomes), floats=("first_response_hours", "deal_value")) \
                if has_outcomes else pd.DataFrame(columns=[c.name for c in outcomes.columns])
    except sa.exc.SQLAlchemyError as exc:
        raise LeadscoreError(f"{safe_url(db_url)}: cannot read the prediction log: "
                             f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0]}") from None
    if log.empty:
        raise LeadscoreError(f"{safe_url(db_url)}: no logged predictions match (--since {since}, --model {model})")
    log["logged_at"] = pd.to_datetime(log["logged_at"], utc=True, format="ISO8601")
    return log, found


def fetch_frame(connection, statement, floats: tuple[str, ...] = ()) -> pd.DataFrame:
    """A query's rows as a frame, taken from the driver's cursor: SQLAlchemy's per-row processing
    costs more than the whole report on a million rows. Dates stay as the driver gives them."""
    result = connection.execute(statement)
    names = list(result.keys())
    rows = result.cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({name: np.array(values, dtype=float if name in floats else object)
                         for name, values in zip(names, columns, strict=True)})


def input_frame(inputs: pd.Series, names: list[str]) -> pd.DataFrame:
    """The logged model inputs as columns named like the training summary (original or safe keys).
    Parsed by Arrow's JSON reader; a field whose type varies between answers falls back to Python."""
    import pyarrow as pa
    import pyarrow.json as pajson

    body = "\n".join(text or "{}" for text in inputs).encode("utf-8")
    options = pajson.ParseOptions(unexpected_field_behavior="infer")
    try:
        frame = pajson.read_json(io.BytesIO(body), read_options=pajson.ReadOptions(block_size=1 << 26),
                                 parse_options=options).to_pandas()
    except pa.ArrowInvalid:
        frame = pd.DataFrame.from_records([json.loads(text) if text else {} for text in inputs])
    by_safe = {safe_name(name): name for name in names}
    return frame.rename(columns={c: by_safe.get(safe_name(c), c) for c in frame.columns})


def calibration(matured: pd.DataFrame, min_leads: int) -> pd.DataFrame:
    """Per month and band: leads, mean predicted probability, realised conversion."""
    model = matured[matured["source"] == "model"]
    grouped = model.groupby([model["logged_at"].dt.strftime("%Y-%m").rename("month"), "band"], sort=True)
    table = grouped.agg(leads=("won", "size"), predicted=("probability", "mean"), realised=("won", "mean"))
    table["gap"] = table["realised"] - table["predicted"]
    table["judged"] = table["leads"] >= min_leads
    return table.reset_index()


def speed_to_lead(matured: pd.DataFrame, fast_hours: float) -> dict:
    """Conversion by first-response bucket within each band; hot leads answered slower than
    `fast_hours`, and the conversions they would have brought at the fast hot-lead rate."""
    timed = matured.dropna(subset=["first_response_hours"])
    if timed.empty:
        return {"leads": 0}
    bucket = pd.cut(timed["first_response_hours"], RESPONSE_BUCKETS, labels=RESPONSE_LABELS, right=False)
    table = timed.groupby([timed["band"], bucket], observed=True)["won"].agg(["size", "mean"]).reset_index()
    table.columns = ["band", "response", "leads", "conversion"]
    hot = timed[timed["band"] == "hot"]
    fast, slow = hot[hot["first_response_hours"] < fast_hours], hot[hot["first_response_hours"] >= fast_hours]
    out = {"leads": int(len(timed)), "table": table.to_dict("records"), "fast_hours": fast_hours,
           "hot_fast": int(len(fast)), "hot_slow": int(len(slow))}
    if len(fast) and len(slow):
        fast_rate, slow_rate = float(fast["won"].mean()), float(slow["won"].mean())
        out.update(fast_rate=fast_rate, slow_rate=slow_rate,
                   lost_conversions=float(len(slow) * fast_rate - slow["won"].sum()))
    return out


LATE_LISTED = 50  # late hot leads listed by id, latest first (all are counted)


def hot_deadline(meta: ModelMetadata, limits: Thresholds, configured: Mapping[str, Mapping] | None = None
                 ) -> float | None:
    """The hot band's follow-up deadline in hours: the hot action the service answers `follow_up_by` with
    (training/scoring/answer.py `follow_up_actions`: `configured`, the service config's actions, else the
    model's), unless the thresholds file overrides it. None when the hot action names no deadline."""
    if limits.hot_deadline_hours is not None:
        return limits.hot_deadline_hours
    hot = follow_up_actions(meta.record, meta.actions, configured).get("hot") or {}
    return hot.get("within_hours")


def late_hot_leads(matured: pd.DataFrame, deadline_hours: float | None) -> dict:
    """Hot leads whose first response came after the hot band's deadline, and what that cost in
    expected conversions: speed to lead's estimate with the deadline as the line between fast and slow."""
    if deadline_hours is None:
        return {"deadline_hours": None, "late": 0, "lost_conversions": None, "on_time_rate": None,
                "late_rate": None, "leads": []}
    timed = matured.dropna(subset=["first_response_hours"])
    late = timed[(timed["band"] == "hot") & (timed["first_response_hours"] >= deadline_hours)]
    late = late.sort_values("logged_at", ascending=False)
    cost = speed_to_lead(matured, deadline_hours)
    return {"deadline_hours": deadline_hours, "late": int(len(late)),
            "lost_conversions": cost.get("lost_conversions"), "on_time_rate": cost.get("fast_rate"),
            "late_rate": cost.get("slow_rate"),
            "leads": [{"lead_id": r.lead_id, "first_response_hours": float(r.first_response_hours),
                       "won": bool(r.won)} for r in late.head(LATE_LISTED).itertuples()]}


def source_quality(latest: pd.DataFrame, column: str | None) -> list[dict]:
    if not column or column not in latest:
        return []
    frame = latest.assign(source_value=latest[column].astype("string").fillna("(missing)"))
    grouped = frame.groupby("source_value", sort=True)
    table = grouped.agg(leads=("band", "size"), hot_share=("band", lambda b: float((b == "hot").mean())),
                        predicted=("probability", "mean"), matured=("won", "count"), realised=("won", "mean"))
    return table.reset_index().rename(columns={"source_value": "source"}).to_dict("records")


def drift(log: pd.DataFrame, inputs: pd.DataFrame, meta: ModelMetadata, limits: Thresholds) -> tuple[dict, list[str]]:
    breaches = []
    summary = meta.training_summary
    scores = feature_psi(inputs, summary) if summary else {}
    for name, value in sorted(scores.items(), key=lambda kv: -kv[1]):
        if value > limits.psi:
            breaches.append(f"drift: PSI of {name} is {value:.3f} (> {limits.psi})")
    model_rows = log[log["source"] == "model"]
    trained = meta.conversion_by_band
    total = sum(b.get("leads", 0) for b in trained.values()) or 1
    mix = {b: {"training": trained.get(b, {}).get("leads", 0) / total,
               "served": float((model_rows["band"] == b).mean()) if len(model_rows) else float("nan")} for b in BANDS}
    for band, shares in mix.items():
        if abs(shares["served"] - shares["training"]) > limits.band_share_change:
            breaches.append(f"band mix: {band} is {shares['served']:.1%} of answers against "
                            f"{shares['training']:.1%} at training")
    rules_share = float((log["source"] == "rules").mean())
    if rules_share > limits.rules_share:
        breaches.append(f"rules answered {rules_share:.1%} of leads (> {limits.rules_share:.0%})")
    band_psi = psi([mix[b]["training"] for b in BANDS], [mix[b]["served"] for b in BANDS]) if len(model_rows) else None
    if not summary:
        breaches.append("drift: the model carries no training summary (trained before monitoring existed); retrain")
    return {"psi": scores, "band_mix": mix, "band_psi": band_psi, "rules_share": rules_share}, breaches


def monitor(log: pd.DataFrame, found: pd.DataFrame, meta: ModelMetadata, limits: Thresholds,
            write_failures: int | None = None, model_name: str | None = None,
            offered: pd.DataFrame | None = None, actions: Mapping[str, Mapping] | None = None) -> MonitorResult:
    """Every figure of the report, and the thresholds it breaches. `offered`: the questions worth asking
    the log's answers offered (training/monitor/questions.py). `actions`: the service config's, when it
    sets them (they decide the hot deadline there, so here too)."""
    latest = log.sort_values("logged_at").drop_duplicates("lead_id", keep="last")
    names = list(meta.features.values())
    inputs = input_frame(latest["inputs"], names)
    inputs.index = latest.index
    outcome = found.set_index("lead_id")
    latest = latest.join(inputs[[c for c in inputs.columns if c not in latest.columns]])
    latest["won"] = latest["lead_id"].map(outcome["outcome"].eq("won").astype(float))
    latest["first_response_hours"] = latest["lead_id"].map(outcome["first_response_hours"])
    matured = latest[latest["won"].notna()]
    result = MonitorResult(model_name=model_name, rows=len(log), matured=len(matured))

    table = calibration(matured, limits.min_leads)
    result.sections["calibration"] = table.to_dict("records")
    for row in table[table["judged"]].itertuples():
        if abs(row.gap) > limits.calibration_gap:
            result.breaches.append(f"calibration: {row.band} leads of {row.month} converted {row.realised:.1%} "
                                   f"against {row.predicted:.1%} predicted")
    model, ruled = matured[matured["source"] == "model"], matured.dropna(subset=["rule_score"])
    auc = {"model": safe_auc(model["won"].to_numpy(), model["probability"].to_numpy()) if len(model) else np.nan,
           "rules": safe_auc(ruled["won"].to_numpy(), ruled["rule_score"].to_numpy()) if len(ruled) else np.nan,
           "matured": len(matured)}
    result.sections["auc"] = auc
    if len(model) >= limits.min_leads and np.isfinite(auc["model"]) and auc["model"] < limits.min_auc:
        result.breaches.append(f"ROC-AUC on {len(model):,} matured leads is {auc['model']:.3f} (< {limits.min_auc})")

    result.sections["drift"], breaches = drift(log, inputs, meta, limits)
    result.breaches += breaches
    result.sections["speed_to_lead"] = speed_to_lead(matured, limits.fast_response_hours)
    result.sections["late_hot_leads"] = late_hot_leads(matured, hot_deadline(meta, limits, actions))
    result.sections["source_quality"] = source_quality(latest, meta.source_column)
    result.sections["write_failures"] = write_failures
    if offered is not None and len(offered):
        from training.monitor.questions import questions_answered

        asked = log[log["lead_id"].isin(set(offered["lead_id"]))]
        parsed = input_frame(asked["inputs"], names)
        parsed.index = asked.index
        result.sections["questions"] = questions_answered(asked, parsed, offered, latest.set_index("lead_id")["won"],
                                                          meta)
    if write_failures is not None and write_failures > limits.write_failures:
        result.breaches.append(f"prediction log: {write_failures} write failure(s) reported by the service")
    return result
