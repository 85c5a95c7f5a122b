"""One home for what the service and batch scoring share: the reading of a model URI, the prediction-log row,
the points table beside a model, the loop database's engine, and the training defaults of train and retrain.
Each test here failed before that knowledge had one home (the service logged a runs:/ model as "runs:",
the service scored rules with its own table while batch used the model's spec table, only the service's
log applied the SQLite settings, and retrain tuned 15 trials while train tuned none)."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from features.errors import LeadscoreError
from training.registry.uri import parse_model_uri

FIXTURE = Path(__file__).parents[1] / "fixtures" / "model_962b705"


@pytest.mark.parametrize(("uri", "name", "alias", "version", "run_id"), [
    ("models:/leadscore-x@champion", "leadscore-x", "champion", None, None),
    ("models:/leadscore-x/7", "leadscore-x", None, "7", None),
    ("runs:/0123abcd/model", None, None, None, "0123abcd"),
    ("/srv/models/leadscore", None, None, None, None),
])
def test_a_model_uri_is_read_one_way(uri, name, alias, version, run_id):
    parsed = parse_model_uri(uri)
    assert (parsed.name, parsed.alias, parsed.version, parsed.run_id) == (name, alias, version, run_id)


def test_an_alias_is_pinned_to_the_version_it_pointed_at():
    assert parse_model_uri("models:/m@champion").pinned("4") == "models:/m/4"
    assert parse_model_uri("models:/m/2").pinned("2") == "models:/m/2"
    assert parse_model_uri("runs:/abc/model").pinned(None) == "runs:/abc/model"


def _model_with_rules(tmp_path: Path, uri: str, rules: Path | None):
    """The fixture model, its metadata pointing at `rules` (its spec's points table)."""
    from training.registry.tracking import load_folder

    folder = tmp_path / "model"
    shutil.copytree(FIXTURE, folder)
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
    mlmodel["metadata"]["leadscore"]["rules"] = None if rules is None else str(rules)
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel), encoding="utf-8")
    return load_folder(folder, uri)


def _leads() -> pd.DataFrame:
    example = json.loads((FIXTURE / "input_example.json").read_text(encoding="utf-8"))
    return pd.DataFrame(example["data"], columns=example["columns"]).assign(lead_id=[f"L{i}" for i in range(5)])


def _scorer(model, rules_path: str):
    """A service scorer serving `model`, configured with the points table at `rules_path`."""
    from serving.config import ServiceConfig
    from serving.scorer import ModelState, Scorer
    from training.rules.table import rules_for_model

    scorer = Scorer(ServiceConfig(model_uri=model.uri, rules=rules_path))
    scorer.state = ModelState(model=model, loaded_at=0.0, rules=rules_for_model(model.metadata, scorer.rules))
    return scorer


def _batch_rows(tmp_path: Path, model, leads: pd.DataFrame) -> list[dict]:
    from training.loop.batch_log import log_batch
    from training.scoring.score import score_frame

    url = f"sqlite:///{tmp_path}/batch.db"
    scored = score_frame(model, leads)
    log_batch(url, model, leads, scored, request_id="batch")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sa.text("select * from predictions order by id"))]
    engine.dispose()
    return rows


@pytest.fixture
def own_table(tmp_path) -> Path:
    """A points table unlike the service's default: 55 points for any known budget."""
    path = tmp_path / "own_rules.yaml"
    path.write_text(yaml.safe_dump({"name": "own", "rules": [
        {"field": "budget", "points": {"high": 55, "medium": 55, "low": 55},
         "reason": {"en": "Budget is {value}", "zh": "预算：{value}"}}]}), encoding="utf-8")
    return path


def test_service_and_batch_name_a_run_model_alike_and_score_rules_with_the_models_own_table(tmp_path, own_table):
    from serving.config import DEFAULT_RULES

    model = _model_with_rules(tmp_path, "runs:/0123abcd/model", own_table)
    leads = _leads()
    scorer = _scorer(model, str(DEFAULT_RULES))
    records = leads.to_dict("records")
    served = scorer.log_rows(scorer.score(records), list(leads["lead_id"]), "api-request", "api")
    batch = _batch_rows(tmp_path, model, leads)
    assert [r["model_name"] for r in served] == [r["model_name"] for r in batch] == [None] * 5
    assert [r["rule_score"] for r in served] == [r["rule_score"] for r in batch]
    expected = [55.0 if pd.notna(b) and b in ("high", "medium", "low") else 0.0 for b in leads["budget"]]
    assert [r["rule_score"] for r in served] == expected


def test_a_model_whose_spec_named_no_points_table_gets_no_rule_score_in_either(tmp_path):
    from serving.config import DEFAULT_RULES

    model = _model_with_rules(tmp_path, "models:/leadscore-x/3", None)
    leads = _leads()
    scorer = _scorer(model, str(DEFAULT_RULES))
    records = leads.to_dict("records")
    served = scorer.log_rows(scorer.score(records), list(leads["lead_id"]), "api-request", "api")
    batch = _batch_rows(tmp_path, model, leads)
    assert [r["rule_score"] for r in served] == [r["rule_score"] for r in batch] == [None] * 5
    assert [r["model_name"] for r in served] == [r["model_name"] for r in batch] == ["leadscore-x"] * 5


def test_the_loop_database_is_opened_one_way(tmp_path):
    from training.loop.outcomes import import_outcomes
    from training.loop.store import open_engine

    outcomes_csv = tmp_path / "outcomes.csv"
    outcomes_csv.write_text("lead_id,outcome,outcome_at\nL1,won,2026-01-05\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path}/loop.db"
    import_outcomes(url, str(outcomes_csv), rejects=tmp_path / "rejects.csv")
    engine = sa.create_engine(url)  # a plain engine: what the file itself says
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    with pytest.raises(LeadscoreError, match=r"^nosuchdriver://u:\*\*\*@h/db: cannot open the database"):
        open_engine("nosuchdriver://u:secret@h/db")


def test_train_and_retrain_share_their_defaults():
    import typer.main

    from serving.cli import app
    from training.fit.options import TrainOptions

    command = typer.main.get_command(app)
    defaults = {name: {p.name: p.default for p in command.commands[name].params}
                for name in ("train", "retrain")}
    assert defaults["train"]["tune_trials"] == defaults["retrain"]["tune_trials"] == TrainOptions().tune_trials


def test_the_fields_listed_back_are_those_of_the_model_that_scored_the_request(tmp_path):
    """A model loaded while a request is being answered (`/reload`, the periodic check) does not change what
    that request's answer says: its unknown fields and lead ids come from `Scored.state`."""
    from serving.config import DEFAULT_RULES

    model = _model_with_rules(tmp_path, "models:/leadscore-x/1", None)
    scorer = _scorer(model, str(DEFAULT_RULES))
    leads = _leads().assign(favourite_colour="blue").to_dict("records")
    scored = scorer.score(leads, "en")
    assert scored.state is not None
    before = scorer.unknown_fields(leads, scored.state)
    assert before == ["favourite_colour"]
    scorer.state = None  # the model goes (a reload that failed over to the rules) after the request was scored
    assert scorer.unknown_fields(leads, scored.state) == before
    assert len(scorer.unknown_fields(leads, None)) > len(before)  # what the rules alone would not read
