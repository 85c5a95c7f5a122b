"""`make soak` (issue 10): a bounded soak of a real server on loopback - SOAK_SECONDS (default 300) at
SOAK_RATE requests a second (default 200), one lead per request, sent on a fixed schedule from a few
connections. Prints errors, latency percentiles, the server's memory at start and end, and prediction
log rows against answered leads (counted after a graceful stop)."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import numpy as np
from measure import save
from served import served_model, tree_rss_mb

SECONDS = float(os.environ.get("SOAK_SECONDS", "300"))
RATE = float(os.environ.get("SOAK_RATE", "200"))
CONNECTIONS = 16


async def drive(base: str, headers: dict, leads: list[dict]) -> dict:
    latencies: list[float] = []
    errors: dict = {}
    total = int(SECONDS * RATE)  # bounded in count, and in time (twice SECONDS) below
    queue: asyncio.Queue = asyncio.Queue()
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10, limits=limits) as client:

        async def worker():
            while (i := await queue.get()) is not None:
                started = time.perf_counter()
                try:
                    response = await client.post("/predict", json={"leads": [leads[i % len(leads)]]})
                    key = None if response.status_code == 200 else str(response.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                latencies.append((time.perf_counter() - started) * 1000)
                if key:
                    errors[key] = errors.get(key, 0) + 1

        workers = [asyncio.create_task(worker()) for _ in range(CONNECTIONS)]
        start = time.perf_counter()
        for i in range(total):
            if time.perf_counter() - start > 2 * SECONDS:  # a server far behind the schedule: stop sending
                total = i
                break
            delay = start + i / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(i)
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - start
    return {"requests": total, "seconds": round(elapsed, 1), "errors": errors, "latencies": latencies}


def main() -> None:
    with served_model() as served:
        memory_start = tree_rss_mb(served.process.pid)
        run = asyncio.run(drive(served.base, served.headers, served.leads))
        memory_end = tree_rss_mb(served.process.pid)
        served.stop()
        rows = served.log_rows()
    latencies = np.array(run.pop("latencies"))
    answered = run["requests"] - sum(run["errors"].values())
    result = {**run, "rate_per_s": RATE, "achieved_per_s": round(run["requests"] / run["seconds"], 1),
              **{f"p{q}_ms": round(float(np.percentile(latencies, q)), 2) for q in (50, 90, 99, 99.9)},
              "max_ms": round(float(latencies.max()), 1), "memory_start_mb": memory_start,
              "memory_end_mb": memory_end, "answered_leads": answered, "log_rows": rows}
    for key, value in result.items():
        print(f"{key:>16}: {value}")
    save("soak", result)


if __name__ == "__main__":
    main()
