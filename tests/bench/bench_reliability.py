"""Benchmark (issues 10 and 28), run with `make bench-reliability`: 20,000 Schemathesis requests generated
from the served OpenAPI document against a real server, every answer run through every check (see
tests/reliability/schema_fuzz.py); writes the table per check and per route into docs/benchmarks.md
between its bench-reliability markers, replacing only what stands there."""

from __future__ import annotations

import os
import sys
import time
from importlib.metadata import version

from measure import ROOT, save
from served import served_model

sys.path.insert(0, str(ROOT / "tests" / "reliability"))
from schema_fuzz import WORKERS, fuzz  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
COMMAND = "make bench-reliability" + (f" BENCH_REQUESTS={REQUESTS}" if "BENCH_REQUESTS" in os.environ else "")
PAGE = ROOT / "docs" / "benchmarks.md"


def table(result: dict, load: tuple[float, float]) -> str:
    lines = [f"`{COMMAND}`, run on {time.strftime('%Y-%m-%d')}: {result['requests']:,} requests generated from the "
             f"served OpenAPI document by Schemathesis {version('schemathesis')} ({WORKERS} generating processes "
             f"beside one server on the same {os.cpu_count()} cores; 5-minute load average {load[0]:.1f} at the "
             f"start, {load[1]:.1f} at the end), {result['seconds']:.0f} s. Every answer goes through every "
             "check that applies to it; `negative_data_rejection` applies to the requests generated invalid, "
             "`positive_data_acceptance` to those generated valid, `strict_json` parses JSON answers with NaN and "
             "Infinity refused.", "",
             "| check | requests checked | failures |", "|---|---:|---:|"]
    lines += [f"| `{name}` | {counts['checked']:,} | {counts['failed']:,} |"
              for name, counts in result["checks"].items()]
    by_route: dict = {}
    for (route, status), n in sorted(result["statuses"].items()):
        by_route.setdefault(route, {})[status] = n
    lines += ["", "| route | requests | answers by status |", "|---|---:|---|"]
    lines += [f"| `{route}` | {sum(codes.values()):,} | " + ", ".join(f"{s}: {n:,}" for s, n in codes.items()) + " |"
              for route, codes in by_route.items()]
    lines += [f"| **all** | **{result['requests']:,}** | 5xx: {result['server_errors']} |", "",
              f"Of the 400 answers, {result['parser_rejections']:,} came from the server's HTTP parser (generated "
              "header bytes HTTP forbids), before the service saw the request; the document declares that answer. "
              f"{result['sent_as_valid']:,} requests generated invalid went out as valid ones (an unknown query "
              "parameter whose value is an empty list, which a URL cannot carry) and were not judged by "
              "`negative_data_rejection` (tests/reliability/schema_fuzz.py, `_sent_as_valid`)."]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Replace what stands between the bench-reliability markers in docs/benchmarks.md; nothing else is touched."""
    text = PAGE.read_text(encoding="utf-8")
    start, end = "<!-- bench-reliability -->\n", "<!-- /bench-reliability -->"
    if start not in text or end not in text:
        raise SystemExit(f"{PAGE}: the markers {start.strip()} and {end} are missing; put them back around the table")
    head, rest = text.split(start, 1)
    PAGE.write_text(head + start + section.rstrip("\n") + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")


def main() -> None:
    with served_model() as served:
        started = os.getloadavg()[1]  # over the last 5 minutes
        result = fuzz(served.base, served.headers, REQUESTS)
        ended = os.getloadavg()[1]
    section = table(result, (started, ended))
    print(section)
    for failure in result["failures"]:
        print(failure)
    save("reliability", {"requests": result["requests"], "server_errors": result["server_errors"],
                         "failed": result["failed"], "checks": result["checks"], "seconds": round(result["seconds"])})
    write_section(section)
    print(f"table written into {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
