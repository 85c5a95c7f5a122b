"""`bentoml build` packs the service into a deployable Bento from serving/bentofile.yaml."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bentoml_build(tmp_path):
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml")}  # keep the user's store untouched
    result = subprocess.run([bentoml, "build", "-f", "serving/bentofile.yaml", "."], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    bentos = list((tmp_path / "bentoml" / "bentos" / "leadscore").glob("*/src/serving/service.py"))
    assert bentos, "no Bento with the service source was written"
    source = bentos[0].parents[1]
    assert (source / "data" / "specs" / "rules" / "default.yaml").is_file()
    ours = {f.relative_to(ROOT) for package in ("features", "training", "serving")
            for f in (ROOT / package).rglob("*") if f.suffix in {".py", ".js"} and "__pycache__" not in f.parts}
    missing = sorted(str(f) for f in ours if not (source / f).is_file())
    assert not missing, f"modules missing from the Bento: {missing}"
    assert not (source / "tests").exists()
