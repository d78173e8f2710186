"""Schemathesis fuzzing of both Workers under workerd against their own OpenAPI documents.

Each Worker's document is read from its GET /openapi.json (and must equal the document built from
the route tables in inventory.api).
Every operation gets derandomized Hypothesis cases, valid ones (positive) and invalid ones
(negative), sent with the admin token; the admin operations also get cases with a wrong token.
Each answer must pass: not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance. Failures are collected (not raised one by one), printed with a curl
line to reproduce them, and the test asserts there are none.

POST /api/scrape is only sent with a wrong token or none: a real scrape takes seconds and starts
the processor's hand-off, which would race the other cases. Hand-picked boundary cases (EDGE_CASES)
are sent besides the generated ones, so the limits are tried whatever Hypothesis draws.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dev.client import seed_vehicles
from inventory.api.openapi import MAX_VEHICLE_ID
from inventory.api.processor_routes import SPEC as PROCESSOR_SPEC
from inventory.api.scraper_routes import SPEC as SCRAPER_SPEC

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 30  # per operation and generation mode
WRONG_TOKEN_EXAMPLES = 5  # per admin operation, with a wrong token
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
NOT_FUZZED = {"POST /api/scrape"}  # slow and starts the hand-off: wrong-token cases only
NO_TOKEN: dict = {}  # headers of a case sent without any token

# Hand-picked cases besides the generated ones, so the boundaries are always tried:
# operation label -> list of Case(...) keyword arguments (the admin token is added unless given).
VEHICLE_QUERIES = [
    {"page": "100000", "pageSize": "200", "status": "all", "variant": "thumbnail"},
    {"page": "0"},
    {"page": "100001"},
    {"pageSize": "0"},
    {"pageSize": "201"},
    {"page": "abc"},
    {"pageSize": "1.5"},
    {"status": "bogus"},
    {"variant": ""},
    {"variant": "---"},
    {"variant": "a" * 41},
    {"variant": "a/b"},
]
TOO_LARGE = {"sourceUrls": ["x" * 70_000]}  # over the 64 KiB body limit
STOREFRONT_QUERIES = [
    {"limit": "100"},
    {"limit": "101"},
    {"limit": "0"},
    {"yearMin": "2030", "yearMax": "2020"},
    {"priceMax": str(10**12 + 1)},
    {"q": "x" * 81},
    {"cursor": "x" * 401},
    {"cursor": "W10"},
    {"status": "inactive"},
    {"unknown": "1"},
]
EDGE_CASES = {
    "GET /api/vehicles": [{"query": q, "headers": NO_TOKEN} for q in STOREFRONT_QUERIES],
    **{
        f"GET /api/feeds/{name}": [{"query": {"since": "1"}, "headers": NO_TOKEN}]
        for name in ("google.xml", "meta.csv", "status")
    },
    "GET /api/vehicles/{vehicle}": [
        {"path_parameters": {"vehicle": v}, "headers": NO_TOKEN}
        for v in ("1", "0", "999999999999999", "1HGCM82633A004352", "SHORT", "abcdefghijklmnopq")
    ],
    "GET /api/vehicle-images": [{"query": q} for q in VEHICLE_QUERIES],
    "POST /api/scrape": [{"headers": NO_TOKEN}],
    "POST /api/process-images": [
        {"body": b}
        for b in (
            {},
            {"batchSize": 1},
            {"batchSize": 50},
            {"batchSize": 0},
            {"batchSize": 51},
            {"batchSize": "5"},
            {"batchSize": True},
            {"batchSize": 1, "vehicleIds": [1]},
            {"vehicleIds": []},
            {"vehicleIds": [0]},
            {"vehicleIds": [-3]},
            {"vehicleIds": [1.5]},
            {"vehicleIds": list(range(1, 51))},
            {"vehicleIds": list(range(1, 52))},
            {"vehicleIds": [1, 1, 2]},
            {"vehicleIds": [MAX_VEHICLE_ID]},
            {"vehicleIds": [MAX_VEHICLE_ID + 1]},
            {"vehicleIds": [2**63]},
            {"vehicleIds": [1, 2**64 + 1]},
            {"other": 1},
            TOO_LARGE,
        )
    ]
    + [{"body": {}, "headers": NO_TOKEN}],
    "POST /api/requeue": [
        {"body": b}
        for b in (
            {},
            {"sourceUrls": []},
            {"sourceUrls": ["https://example.com/a.png"] * 500},
            {"sourceUrls": ["https://example.com/a.png"] * 501},
            {"sourceUrls": [1]},
            {"sourceUrls": "x"},
            {"sourceUrls": None},
            {"other": 1},
            TOO_LARGE,
        )
    ]
    + [{"body": {}, "headers": NO_TOKEN}],
    "GET /api/failures": [{"headers": NO_TOKEN}],
}


@dataclass
class Tally:
    worker: str
    requests: int = 0
    per_operation: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    seconds: float = 0.0

    def send(self, case, base_url: str, label: str) -> None:
        """Send one case and run the checks; a failure is recorded with its curl line, not raised."""
        self.requests += 1
        self.per_operation[label] = self.per_operation.get(label, 0) + 1
        try:
            case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=60)
        except FailureGroup as group:
            self.failures.append(f"[{label}] {group.message.strip()}")

    def line(self) -> str:
        return (
            f"{self.worker}: {self.requests} requests, {len(self.failures)} failures, "
            f"{self.seconds:.1f} s ({', '.join(f'{k} {v}' for k, v in self.per_operation.items())})"
        )


def served_spec(url: str) -> dict:
    with urllib.request.urlopen(url + "/openapi.json", timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("application/json")
        return json.loads(answer.read())


def run_cases(
    tally: Tally, operation, base_url: str, mode: GenerationMode, headers: dict, examples: int, label: str
) -> None:
    """Send `examples` derandomized cases of one operation; record every failing answer."""

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def send(case):
        tally.send(case, base_url, label)

    send()


def run_edge_cases(tally: Tally, operation, base_url: str, token: str) -> None:
    for overrides in EDGE_CASES.get(operation.label, []):
        label = f"{operation.label} edge"
        headers = overrides.get("headers", {"Authorization": f"Bearer {token}"})
        tally.send(operation.Case(**{**overrides, "headers": headers}), base_url, label)


def fuzz_worker(name: str, base_url: str, spec: dict, token: str) -> Tally:
    served = served_spec(base_url)
    assert served == json.loads(json.dumps(spec)), (
        f"{name}: /openapi.json differs from the route table's document"
    )
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    tally, started = Tally(name), time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        admin = bool(operation.definition.raw.get("security"))
        if operation.label not in NOT_FUZZED:
            for mode in MODES:
                # An operation with no parameters and no body has no invalid input to make.
                if mode is GenerationMode.NEGATIVE and not (
                    operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody")
                ):
                    continue
                run_cases(
                    tally,
                    operation,
                    base_url,
                    mode,
                    {"Authorization": f"Bearer {token}"},
                    MAX_EXAMPLES,
                    f"{operation.label} {mode.value}",
                )
        run_edge_cases(tally, operation, base_url, token)
        if admin:
            run_cases(
                tally,
                operation,
                base_url,
                GenerationMode.POSITIVE,
                {"Authorization": "Bearer not-the-admin-token"},
                WRONG_TOKEN_EXAMPLES,
                f"{operation.label} wrong-token",
            )
    tally.seconds = time.monotonic() - started
    return tally


def seed(stack, database) -> None:
    """Three vehicles (one inactive; photos as image ids, and one vendor URL failed for good) so the
    answers have content; at most that one photo is ever uploaded (after a requeue)."""
    ids = seed_vehicles(
        stack,
        database,
        3,
        2,
        featured={0},
        images=lambda index, urls: (
            [f"lambert-seeded-{index}-{n}" for n in range(len(urls))]
            if index < 2
            else ["lambert-seeded-2-0", urls[1]]
        ),
    )
    broken = f"{stack.standins.site.cdn_url}/photos/L10003/2.png"
    database.execute(
        "INSERT INTO images (source_url, image_id, vehicle_id, state, attempts, last_error, permanent, "
        "updated_at) "
        "VALUES (?, 'lambert-broken', ?, 'failed', 4, 'vendor answered HTTP 404', 1, datetime('now'))",
        (broken, ids[2]),
    )
    database.execute("UPDATE vehicles SET status = 'inactive' WHERE id = ?", (ids[1],))


def test_both_workers_conform_to_their_openapi_documents(fresh, database):
    stack = fresh
    seed(stack, database)
    token = stack.secrets["ADMIN_TOKEN"]
    tallies = [
        fuzz_worker("lambert-scraper", stack.scraper_url, SCRAPER_SPEC, token),
        fuzz_worker("image-processor", stack.processor_url, PROCESSOR_SPEC, token),
    ]
    print("\n🧪 schemathesis", schemathesis.__version__)
    for tally in tallies:
        print("   " + tally.line())
        for failure in tally.failures:
            print(failure + "\n")
    for tally in tallies:
        assert tally.requests > 0, tally.line()
        assert not tally.failures, f"{tally.worker}: {len(tally.failures)} failures (printed above)"
