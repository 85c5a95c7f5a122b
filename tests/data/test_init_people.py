"""`leadscore init` proposes columns naming people (owners, reps) under `features.people`, each with a CHECK."""

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from serving.cli.main import app


def test_init_proposes_people_columns_with_a_check(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    team = ["Ana Silva", "Ben Okafor", "Chloe Martin", "Dev Patel", "Emma Wright", "Farid Haddad"]
    leads = pd.DataFrame({
        "lead_id": [f"L{i:04d}" for i in range(n)],
        "Lead Owner": rng.choice(["ana", "ben", "chloe"], n),  # the name says it: a role
        "Caller": rng.choice(team, n),  # only the values say it: people's names, several leads each
        "负责人": rng.choice(["王伟", "李娜", "张敏"], n),
        "Specialization": rng.choice(["Finance Management", "Marketing Management", "Operations Management",
                                      "Retail Management"], n),  # category phrases, not names
        "city": rng.choice(["Mumbai", "Pune", "Delhi"], n),
        "Total Visits": rng.integers(0, 20, n),
        "Converted": rng.integers(0, 2, n),
    })
    leads.to_csv(tmp_path / "leads.csv", index=False)
    spec = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(tmp_path / "leads.csv"), "--out", str(spec)])
    assert result.exit_code == 0, result.output
    written = spec.read_text(encoding="utf-8")
    raw = yaml.safe_load(written)
    assert raw["features"]["people"] == ["Lead Owner", "Caller", "负责人"]
    assert not {"Lead Owner", "Caller", "负责人"} & set(raw["features"]["pii"] + raw["features"]["exclude"])
    lines = {line.split("#")[0].strip(): line for line in written.splitlines() if line.strip().startswith("- ")}
    assert "CHECK: its name reads like a person's role" in lines['- "Lead Owner"']
    assert "CHECK: its values look like people's names" in lines['- "Caller"']
    assert "CHECK" in lines['- "负责人"']
    assert "people:  # columns naming people" in written and "not of their skill" in written


def test_init_writes_an_empty_people_key_when_no_column_names_people(tmp_path):
    rng = np.random.default_rng(1)
    leads = pd.DataFrame({"lead_id": range(300), "source": rng.choice(["Direct Traffic", "Olark Chat", "Google"], 300),
                          "Converted": rng.integers(0, 2, 300)})
    leads.to_csv(tmp_path / "leads.csv", index=False)
    spec = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(tmp_path / "leads.csv"), "--out", str(spec)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(spec.read_text())["features"]["people"] == []
