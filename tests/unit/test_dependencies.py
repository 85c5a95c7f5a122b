"""One dependency list: the Bento's packages are pyproject.toml's, less the two the service does not
need (bentoml, which the Bento brings; Dask, for batch scoring and training only)."""

import tomllib
from pathlib import Path

import yaml

from training.registry.tracking import PIP_REQUIREMENTS

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_THE_BENTO = {"bentoml", "dask"}


def name(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


def test_the_bento_packages_are_pyprojects():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    bento = yaml.safe_load((ROOT / "serving" / "bentofile.yaml").read_text(encoding="utf-8"))["python"]["packages"]
    assert sorted(bento) == sorted(r for r in project if name(r) not in NOT_IN_THE_BENTO)


def test_the_models_environment_names_only_declared_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {name(r) for r in project["dependencies"]} | {project["name"]}
    assert set(PIP_REQUIREMENTS) <= declared
