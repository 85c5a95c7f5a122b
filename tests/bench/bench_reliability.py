"""Benchmark (issue 10), run with `make bench-reliability`: 20,000 Schemathesis requests generated from
the served OpenAPI document against a real server; writes the table into the README between the
bench-reliability markers."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from measure import ROOT, save
from served import served_model

sys.path.insert(0, str(ROOT / "tests" / "reliability"))
from schema_fuzz import fuzz  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
COMMAND = "make bench-reliability"


def main() -> None:
    with served_model() as served:
        result = fuzz(served.base, served.headers, REQUESTS)
    by_route: dict = {}
    for (route, status), n in sorted(result["statuses"].items()):
        by_route.setdefault(route, {})[status] = n
    rows = ["| route | requests | answers by status |", "|---|---:|---|"]
    rows += [f"| `{route}` | {sum(codes.values()):,} | " + ", ".join(f"{s}: {n:,}" for s, n in codes.items()) + " |"
             for route, codes in by_route.items()]
    rows.append(f"| **all** | **{result['requests']:,}** | 5xx: {result['server_errors']}, "
                f"answers unlike the document: {len(result['failures'])} |")
    table = "\n".join(rows) + (f"\n\n`{COMMAND}`: {result['requests']:,} generated requests in "
                               f"{result['seconds']:.0f} s (the CPU was shared with other work while it ran).")
    print(table)
    for failure in result["failures"]:
        print(failure)
    save("reliability", {"requests": result["requests"], "server_errors": result["server_errors"],
                         "failures": len(result["failures"]), "seconds": round(result["seconds"])})
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    marked = re.compile(r"(<!-- bench-reliability -->\n).*?(\n<!-- /bench-reliability -->)", re.S)
    if marked.search(text):
        readme.write_text(marked.sub(lambda m: m.group(1) + table + m.group(2), text), encoding="utf-8")
        print(f"table written into {Path(readme).name}")


if __name__ == "__main__":
    main()
