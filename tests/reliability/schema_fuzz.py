"""Schemathesis against the served OpenAPI document of a real server: valid and invalid requests
generated from the document, each answer checked for no 5xx and for conforming to the document
(status code, content type, body schema). Shared by the test and `make bench-reliability`."""

from __future__ import annotations

import collections
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHUNK = 100
PARSER_REJECTION = "Invalid HTTP request received."
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
# Requests per route besides POST /predict (which gets the rest): reloads and page drawing take 0.1-2 s.
FEW = {"/reload": 10, "/drivers": 4}
WORKERS = 2  # processes generating requests: one per core of the 2-core machine
MAX_FAILURES = 20


def fuzz(base: str, headers: dict, requests: int, positive_share: float = 0.15, workers: int = WORKERS) -> dict:
    """Send about `requests` generated requests, most to POST /predict; returns counts and failures.

    Valid bodies cost hypothesis-jsonschema about 0.2 s each to generate for the leads schema (measured
    on the shared 2-core machine), invalid ones about 0.03 s: `positive_share` of the /predict budget
    is valid bodies, the rest invalid ones. Generating, not answering, is most of the time, so the plan
    is shared out over `workers` processes (each with its own schema and random seeds)."""
    plan = _plan(base, requests, positive_share)
    started = time.monotonic()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_send, [base] * workers, [headers] * workers, [plan[i::workers] for i in range(workers)]))
    statuses: collections.Counter = collections.Counter()
    failures: list[str] = []
    for part_statuses, part_failures in parts:
        statuses.update(part_statuses)
        failures += part_failures
    return {"requests": sum(statuses.values()), "seconds": time.monotonic() - started,
            "statuses": dict(statuses), "failures": failures[:MAX_FAILURES],
            "server_errors": sum(n for (_, code), n in statuses.items() if code >= 500)}


def _plan(base: str, requests: int, positive_share: float) -> list[tuple[str, DataGenerationMethod, int]]:
    """(operation, valid or invalid, examples) runs that add up to about `requests`."""
    schema = schemathesis.from_uri(f"{base}/docs.json", base_url=base)
    operations = [result.ok() for result in schema.get_all_operations()]
    plan = []
    for op in operations:
        n = requests - sum(FEW.get(o.path, 20) for o in operations if o.path != "/predict") \
            if op.path == "/predict" else FEW.get(op.path, 20)
        breakable = len(op.body) or len(op.query)  # a route without inputs has nothing to break
        positive = max(1, int(n * positive_share)) if breakable else n
        plan.append((op.verbose_name, DataGenerationMethod.positive, positive))
        if breakable:
            plan.append((op.verbose_name, DataGenerationMethod.negative, n - positive))
    # Long hypothesis runs drift to ever larger examples whose generation dominates the time: runs of at
    # most CHUNK examples (each with its own random seed) keep generation cheap and inputs varied.
    return [(op, method, min(CHUNK, n - done)) for op, method, n in plan for done in range(0, n, CHUNK)]


def _send(base: str, headers: dict, plan: list) -> tuple[collections.Counter, list[str]]:
    """One worker process: generate and send its share of the plan, check every answer."""
    schema = schemathesis.from_uri(f"{base}/docs.json", base_url=base)
    operations = {op.verbose_name: op for op in (result.ok() for result in schema.get_all_operations())}
    statuses: collections.Counter = collections.Counter()
    failures: list[str] = []
    for name, method, examples in plan:

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(case=operations[name].as_strategy(data_generation_method=method))
        def call(case):
            response = case.call(headers=headers, timeout=60)
            statuses[(case.operation.verbose_name, response.status_code)] += 1
            if response.status_code == 400 and response.text == PARSER_REJECTION:
                return  # generated header bytes HTTP forbids: refused by the server's HTTP parser, no app answer
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collected, so one run reports every kind of failure
                if len(failures) < MAX_FAILURES:
                    failures.append(f"{case.operation.verbose_name} -> {response.status_code}: {str(exc)[:400]}")

        call()
    return statuses, failures
