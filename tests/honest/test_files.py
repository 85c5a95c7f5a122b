"""Files as people have them (issue 23, point 2): CR-only and mixed line ends, a title line above the
header, rows and columns of nothing but commas, and a fuzz of broken files: init and build answer with
a line, never a traceback, and no message lists more than ten columns."""

import numpy as np
import pandas as pd
import pytest
import yaml


def _calls(n=400, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"Id": range(1, n + 1), "Age": rng.integers(18, 80, n),
                         "Job": rng.choice(["admin.", "technician", "services", "retired"], n),
                         "Balance": rng.integers(-500, 9000, n),
                         "CarInsurance": (rng.random(n) < 0.4).astype(int)})


def _as_published(frame: pd.DataFrame, empty_columns=256) -> bytes:
    """A title line, CR-only line ends, trailing empty columns and rows of nothing but commas."""
    text = frame.to_csv(index=False, lineterminator="\n")
    lines = text.strip("\n").split("\n")
    pad = "," * empty_columns
    body = [lines[0] + pad] + [line + pad for line in lines[1:]]
    body[5:5] = ["," * (len(frame.columns) - 1 + empty_columns)] * 3
    return ("Car Insurance Cold Calls\r" + "\r".join(body) + "\r").encode()


def test_cr_only_export_with_a_title_line_and_empty_columns(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calls.csv").write_bytes(_as_published(_calls()))
    result, said = cli("init", "--from", "calls.csv", "--out", "spec.yaml")
    assert result.exit_code == 0, result.output
    assert "skipped 1 title line(s) above the header" in said
    assert "dropped 3 empty row(s) and 256 empty column(s)" in said and "and 246 more" in said
    assert said.count("Unnamed") <= 10
    spec = yaml.safe_load((tmp_path / "spec.yaml").read_text())
    assert spec["outcome"]["column"] == "CarInsurance" and spec["leads"]["id"] == "Id"
    assert "Unnamed" not in (tmp_path / "spec.display.yaml").read_text()
    result, said = cli("build", "--spec", "spec.yaml", "--out", "train.parquet")
    assert result.exit_code == 0, result.output
    assert said.count("Unnamed") <= 10 and "leads.created_at" not in said
    assert pd.read_parquet(tmp_path / "train.parquet").shape[0] == 400


def test_a_missing_id_column_names_only_its_own_key_and_ten_columns(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = _calls()
    for i in range(30):
        frame[f"extra_{i}"] = i
    frame.to_csv("calls.csv", index=False)
    spec = {"name": "c", "leads": {"path": "calls.csv", "id": "ID number", "created_at": None},
            "outcome": {"column": "CarInsurance"}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    result, said = cli("build", "--spec", "spec.yaml", "--out", "t.parquet")
    assert result.exit_code == 2 and "'leads.id'" in said and "leads.created_at" not in said
    assert "and 25 more" in said


def _fuzz_files(base: bytes) -> dict[str, bytes]:
    return {
        "truncated": base[: len(base) // 2 + 7],
        "binary": bytes(range(256)) * 8,
        "gzip": b"\x1f\x8b\x08\x00" + base[:100],
        "cr_only": base.replace(b"\n", b"\r"),
        "mixed": base.replace(b"\n", b"\r\n", 40),
        "bom": b"\xef\xbb\xbf" + base,
        "semicolon": base.replace(b",", b";"),
        "one_column": b"Id\n" + b"\n".join(str(i).encode() for i in range(50)) + b"\n",
        "header_only": base.split(b"\n")[0] + b"\n",
        "empty": b"",
        "commas_only": b",,,,\n,,,,\n,,,,\n",
        "latin1": base.replace(b"admin.", "adminé".encode("latin-1")),
    }


@pytest.mark.parametrize("kind", list(_fuzz_files(b"a,b\n1,2\n")))
def test_init_and_build_never_give_a_traceback(cli, tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    base = _calls(120).to_csv(index=False, lineterminator="\n").encode()
    (tmp_path / "leads.csv").write_bytes(_fuzz_files(base)[kind])
    result, said = cli("init", "--from", "leads.csv", "--out", "spec.yaml")
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    spec = {"name": "f", "leads": {"path": "leads.csv", "id": "Id"}, "outcome": {"column": "CarInsurance"}}
    (tmp_path / "given.yaml").write_text(yaml.safe_dump(spec))
    for spec_file in ("given.yaml", "spec.yaml"):
        if not (tmp_path / spec_file).exists():
            continue
        result, said = cli("build", "--spec", spec_file, "--out", "t.parquet")
        assert result.exit_code in (0, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
