"""Schemathesis against the served OpenAPI document of a real server: valid and invalid requests
generated from the document, each answer checked for no 5xx and for conforming to the document
(status code, content type, body schema). Shared by the test and `make bench-reliability`."""

from __future__ import annotations

import collections
import time

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


def fuzz(base: str, headers: dict, requests: int, positive_share: float = 0.15) -> dict:
    """Send about `requests` generated requests, most to POST /predict; returns counts and failures.

    Valid bodies cost hypothesis-jsonschema about 0.2 s each to generate for the leads schema (measured
    on the shared 2-core machine), invalid ones about 0.03 s: `positive_share` of the /predict budget
    is valid bodies, the rest invalid ones."""
    schema = schemathesis.from_uri(f"{base}/docs.json", base_url=base)
    operations = [result.ok() for result in schema.get_all_operations()]
    plan = []
    for op in operations:
        n = requests - sum(FEW.get(o.path, 20) for o in operations if o.path != "/predict") \
            if op.path == "/predict" else FEW.get(op.path, 20)
        breakable = len(op.body) or len(op.query)  # a route without inputs has nothing to break
        positive = max(1, int(n * positive_share)) if breakable else n
        plan.append((op, DataGenerationMethod.positive, positive))
        if breakable:
            plan.append((op, DataGenerationMethod.negative, n - positive))
    # Long hypothesis runs drift to ever larger examples whose generation dominates the time: runs of at
    # most CHUNK examples (each with its own random seed) keep generation cheap and inputs varied.
    plan = [(op, method, min(CHUNK, n - done)) for op, method, n in plan for done in range(0, n, CHUNK)]
    statuses: collections.Counter = collections.Counter()
    failures: list[str] = []
    started = time.monotonic()
    for operation, method, examples in plan:

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(case=operation.as_strategy(data_generation_method=method))
        def call(case):
            response = case.call(headers=headers, timeout=60)
            statuses[(case.operation.verbose_name, response.status_code)] += 1
            if response.status_code == 400 and response.text == PARSER_REJECTION:
                return  # generated header bytes HTTP forbids: refused by the server's HTTP parser, no app answer
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collected, so one run reports every kind of failure
                if len(failures) < 20:
                    failures.append(f"{case.operation.verbose_name} -> {response.status_code}: {str(exc)[:400]}")

        call()
    return {"requests": sum(statuses.values()), "seconds": time.monotonic() - started,
            "statuses": dict(statuses), "failures": failures,
            "server_errors": sum(n for (_, code), n in statuses.items() if code >= 500)}
