"""Benchmark (issue 14), run with `make bench-page`: how fast the managers' page is served.

The synthetic model (the embedded export, 2 tuning trials: the page does not depend on the budget) is
trained into a temporary registry and served by `leadscore serve`. For each language: the first
request (the page is drawn) and then 200 requests of the drawn page, one at a time over loopback,
wall time per request seen by the client (target: at most 50 ms after the first draw).
"""

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from measure import LEADSCORE, ROOT, save

from serving.launch import running_service

REPEATS = 200


def timed_get(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200 and "<svg" in response.text, response.status_code
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-page-") as tmp:
        tmp = Path(tmp)
        env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db",
               "LEADSCORE_PREDICTION_DB": f"sqlite:///{tmp}/predictions.db"}
        subprocess.run([LEADSCORE, "train", "--spec", str(ROOT / "data/specs/synthetic.yaml"), "--tune-trials", "2",
                        "--promote"], env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True)
        results = {}
        with running_service(env, cwd=tmp) as base, httpx.Client(timeout=60) as client:
            for lang in ("en", "zh"):
                url = f"{base}/drivers?lang={lang}"
                first = timed_get(client, url)
                times = sorted(timed_get(client, url) for _ in range(REPEATS))
                results[lang] = {"first_ms": round(first, 1), "median_ms": round(statistics.median(times), 2),
                                 "p99_ms": round(times[int(0.99 * len(times)) - 1], 2), "max_ms": round(times[-1], 2),
                                 "bytes": len(client.get(url).content)}
    print("| language | first request, drawn (ms) | median after (ms) | p99 after (ms) | max after (ms) | size (KB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for lang, r in results.items():
        print(f"| {lang} | {r['first_ms']:.0f} | {r['median_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} | "
              f"{r['bytes'] / 1024:.0f} |")
    print(f"saved {save('page', results)}")


if __name__ == "__main__":
    main()
