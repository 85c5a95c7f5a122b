"""Schemathesis against the served OpenAPI document of a real server: valid and invalid requests
generated from the document, each answer run through every check Schemathesis 3 has for a single
answer (no 5xx, documented status, content type and body schema, invalid data refused, valid data
accepted) and a strict JSON parse. Shared by the test and `make bench-reliability`."""

from __future__ import annotations

import collections
import json
import multiprocessing
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from requests.structures import CaseInsensitiveDict
from schemathesis import DataGenerationMethod
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.types import NotSet

CHUNK = 100
PARSER_REJECTION = "Invalid HTTP request received."


def strict_json(ctx, response, case) -> None:
    """A JSON answer parses under RFC 8259: no NaN, Infinity or -Infinity (Python's json reads them)."""
    if "json" not in response.headers.get("content-type", ""):
        return

    def refuse(token: str):
        raise AssertionError(f"the answer holds {token}, which is not JSON")

    json.loads(response.content, parse_constant=refuse)


CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, positive_data_acceptance, strict_json)
ONLY = {negative_data_rejection: DataGenerationMethod.negative, positive_data_acceptance: DataGenerationMethod.positive}
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
    checks = {check.__name__: {"checked": 0, "failed": 0} for check in CHECKS}
    failures: list[str] = []
    parser_rejections = 0
    sent_as_valid = 0
    for part in parts:
        statuses.update(part["statuses"])
        for name, counts in part["checks"].items():
            checks[name]["checked"] += counts["checked"]
            checks[name]["failed"] += counts["failed"]
        failures += part["failures"]
        parser_rejections += part["parser_rejections"]
        sent_as_valid += part["sent_as_valid"]
    return {"requests": sum(statuses.values()), "seconds": time.monotonic() - started,
            "statuses": dict(statuses), "checks": checks, "failures": failures[:MAX_FAILURES],
            "failed": sum(c["failed"] for c in checks.values()), "parser_rejections": parser_rejections,
            "sent_as_valid": sent_as_valid,
            "server_errors": sum(n for (_, code), n in statuses.items() if code >= 500)}


def _plan(base: str, requests: int, positive_share: float) -> list[tuple[str, DataGenerationMethod, int]]:
    """(operation, valid or invalid, examples) runs that add up to about `requests`."""
    schema = schemathesis.from_uri(f"{base}/docs.json", base_url=base)
    operations = [result.ok() for result in schema.get_all_operations()]
    # A route that takes nothing (no body, query, header or token) has one request to make: Hypothesis
    # stops there, so it is planned as one and the rest of the budget goes to POST /predict.
    def share(op) -> int:
        takes = len(op.body) or len(op.query) or len(op.headers) or op.definition.raw.get("security")
        return FEW.get(op.path, 20) if takes else 1

    plan = []
    for op in operations:
        n = requests - sum(share(o) for o in operations if o.path != "/predict") if op.path == "/predict" \
            else share(op)
        breakable = len(op.body) or len(op.query)  # a route without inputs has nothing to break
        positive = max(1, int(n * positive_share)) if breakable else n
        plan.append((op.verbose_name, DataGenerationMethod.positive, positive))
        if breakable:
            plan.append((op.verbose_name, DataGenerationMethod.negative, n - positive))
    # Long hypothesis runs drift to ever larger examples whose generation dominates the time: runs of at
    # most CHUNK examples (each with its own random seed) keep generation cheap and inputs varied.
    return [(op, method, min(CHUNK, n - done)) for op, method, n in plan for done in range(0, n, CHUNK)]


def _remember_can_negate() -> None:
    """Schemathesis 3 asks, for every invalid request, whether the whole body schema can be negated, and
    canonicalises the schema to answer: half the time of generating an invalid /predict body (measured
    with cProfile). The answer depends on the schema only, so each schema's is kept."""
    from schemathesis.specs.openapi import _hypothesis

    asked = _hypothesis.can_negate
    answers: dict[str, bool] = {}

    def can_negate(schema) -> bool:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in answers:
            answers[key] = asked(schema)
        return answers[key]

    _hypothesis.can_negate = can_negate


def _sent_as_valid(case, response) -> bool:
    """True when an invalid case's request, as it went over the wire, is a valid one: only a GET whose
    body-less request carries declared query parameters, each once, each within its schema, and all the
    required ones. Schemathesis 3 negates the query as a whole and may add an unknown parameter whose
    value is an empty list, which a URL cannot carry: `?lang=en` is then sent and judged as invalid."""
    if case.operation.method.upper() != "GET" or not isinstance(case.body, NotSet) or case.path_parameters \
            or case.cookies:
        return False
    declared = {p.name: p.definition for p in case.operation.query}
    sent = urllib.parse.parse_qs(urllib.parse.urlsplit(response.request.url).query, keep_blank_values=True)
    if any(name not in declared or len(values) != 1 for name, values in sent.items()):
        return False
    if any(p.get("required") and name not in sent for name, p in declared.items()):
        return False
    for name, (value,) in sent.items():
        schema = declared[name].get("schema", {})
        if schema.get("type", "string") != "string" or ("enum" in schema and value not in schema["enum"]):
            return False
    # The token is set on every case (see _send); another declared header could carry the negation.
    return all(p.name.lower() == "authorization" for p in case.operation.headers)


def _body(case) -> str:
    """The generated body as a failure shows it (made up by the fuzzer: no one's data), cut to a readable size."""
    if isinstance(case.body, NotSet):
        return "none"
    return json.dumps(case.body, default=str, ensure_ascii=False)[:MAX_BODY]


MAX_BODY = 1500


def _shown(headers) -> dict:
    """The request's headers as a failure shows them: the token is left out."""
    return {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}


def _send(base: str, headers: dict, plan: list) -> dict:
    """One worker process: generate and send its share of the plan, run every check on every answer."""
    _remember_can_negate()
    schema = schemathesis.from_uri(f"{base}/docs.json", base_url=base)
    operations = {op.verbose_name: op for op in (result.ok() for result in schema.get_all_operations())}
    statuses: collections.Counter = collections.Counter()
    checks = {check.__name__: {"checked": 0, "failed": 0} for check in CHECKS}
    failures: list[str] = []
    rejected = [0]
    rewritten = [0]  # invalid cases whose request, as sent, was valid
    for name, method, examples in plan:

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(case=operations[name].as_strategy(data_generation_method=method))
        def call(case):
            # The token goes into the case itself, so the checks judge the request that was sent: a case
            # without it would count as invalid ("Authorization missing") although the server received it.
            sent = CaseInsensitiveDict(case.headers or {})
            sent.update(headers)
            case.headers = sent
            response = case.call(timeout=60)
            statuses[(case.operation.verbose_name, response.status_code)] += 1
            if response.status_code == 400 and response.text == PARSER_REJECTION:
                rejected[0] += 1  # header bytes HTTP forbids: the server's HTTP parser answers (checked too)
            sent_valid = case.data_generation_method is DataGenerationMethod.negative and _sent_as_valid(case, response)
            if sent_valid:
                rewritten[0] += 1
            for check in CHECKS:  # one at a time, so each check has its own count
                if ONLY.get(check) not in (None, case.data_generation_method):
                    continue  # a check of invalid data says nothing about valid data, and the other way round
                if sent_valid and check is negative_data_rejection:
                    continue  # the invalid part was never sent (see _sent_as_valid)
                checks[check.__name__]["checked"] += 1
                try:
                    case.validate_response(response, checks=(check,))
                except Exception as exc:  # collected, so one run reports every kind of failure
                    checks[check.__name__]["failed"] += 1
                    if len(failures) < MAX_FAILURES:
                        failures.append(f"{check.__name__}: {case.operation.verbose_name} "
                                        f"({case.data_generation_method.name}) -> {response.status_code}: "
                                        f"query {case.query!r}, headers {_shown(case.headers)}, "
                                        f"body {_body(case)}: {str(exc)[:400]}")

        call()
    return {"statuses": statuses, "checks": checks, "failures": failures, "parser_rejections": rejected[0],
            "sent_as_valid": rewritten[0]}
