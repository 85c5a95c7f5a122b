"""Wall time and peak memory of a command, measured by the kernel (wait4), not by the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
LEADSCORE = str(Path(sys.executable).with_name("leadscore"))
RESULTS = ROOT / "artifacts" / "bench"


def measure(command: list[str], env: dict | None = None, cwd: Path = ROOT, ok: tuple[int, ...] = (0,)) -> dict:
    """Run a command; return its wall seconds, CPU seconds (user + system, the command and its children:
    on a shared machine the wall time depends on the others' load, the CPU time much less), peak resident
    memory (MB) and exit code (`ok`: accepted codes)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
    return {"command": " ".join(command), "seconds": round(seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "peak_mb": round(usage.ru_maxrss / 1024),
            "exit_code": code}


def measure_tree(command: list[str], env: dict, limit_mb: int) -> dict:
    """Wall seconds, peak summed RSS of the process tree (MB), exit code; the tree is killed when its
    memory passes the limit."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               start_new_session=True)
    root, peak, stopped = psutil.Process(process.pid), 0, False
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        if peak > limit_mb * 2**20 and not stopped:
            os.killpg(process.pid, 9)  # the command and every process it started
            stopped = True
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    run = {"command": " ".join(command), "seconds": round(seconds, 1), "peak_mb": round(peak / 2**20),
           "exit_code": process.returncode}
    if stopped:
        run["stopped"] = f"passed the {limit_mb:,} MB limit"
    return run



def synthetic_spec(out: Path, leads: Path, outcomes: Path, accounts: Path | None = None,
                   activities: Path | None = None) -> Path:
    """The default synthetic spec pointed at an export's files (the lookup and activity tables only when
    given), written to `out`."""
    import yaml

    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    spec["leads"]["path"], spec["outcome"]["path"] = str(leads), str(outcomes)
    if accounts is not None:
        spec["lookups"][0]["path"] = str(accounts)
    if activities is not None:
        spec["activities"]["path"] = str(activities)
    spec["rules"], spec["display"] = str(ROOT / spec["rules"]), str(ROOT / spec["display"])
    spec.pop("synthetic")
    out.write_text(yaml.safe_dump(spec))
    return out


def save(name: str, results: dict) -> Path:
    """Merge into artifacts/bench/NAME.json: a run of some parts keeps the others, each part dated."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    saved = json.loads(path.read_text()) if path.is_file() else {}
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    saved.update({part: {**value, "measured_at": stamp} if isinstance(value, dict) else value
                  for part, value in results.items()})
    path.write_text(json.dumps(saved, indent=2))
    return path
