"""schemathesis against /api/schema/, with a merchant key and a webmaster key (issue 8).

Bounded (examples per operation and a time budget) so it fits CI. Two checks, as the issue
asks: no server errors, and every response conforms to the schema, refusals included: the
schema declares the shared error body (400, 401, 403, 409: ``{"code", "message", "extra"}``
with ``extra.fields`` naming the fields, ``apps/api/schema.py``), so schemathesis checks
the shape of every refusal it provokes too.
"""

import json
import os
import subprocess

import pytest

from tests.api.factories import issue_key
from tests.campaigns.factories import CampaignProductFactory, MerchantDomainFactory
from tests.reliability import processes
from tests.reliability.conftest import make_network

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "15")
SECONDS = os.environ.get("FUZZ_MAX_SECONDS", "90")


def _fuzz(server, tmp_path, *, key: str, label: str) -> dict:
    report = tmp_path / f"{label}.json"
    result = subprocess.run(  # noqa: S603
        [
            str(processes.BIN / "schemathesis"),
            "run",
            server.url("", "/api/schema/"),
            "--header",
            "Host: fuzznet.localhost",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            EXAMPLES,
            "--max-time",
            SECONDS,
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20261201",
            "--workers",
            "2",
            "--generation-deterministic",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=int(SECONDS) + 300,
    )
    summary = {"exit": result.returncode, "output_tail": result.stdout[-6000:]}
    if report.exists():
        summary["report"] = json.loads(report.read_text())
    return summary


def _cases(summary: dict) -> int:
    """Test cases generated, from schemathesis' JSON run report."""
    return int(((summary.get("report") or {}).get("test_cases") or {}).get("generated", 0))


def test_schemathesis_finds_no_server_errors_and_no_schema_breaks(tmp_path):
    network = make_network("fuzznet", placements=3)
    merchant = network["merchant"]
    CampaignProductFactory(tenant=network["tenant"], campaign__merchant=merchant)
    MerchantDomainFactory(tenant=network["tenant"], merchant=merchant, domain="fuzz.shop.example")
    webmaster = network["placements"][0].site.affiliate
    merchant_key = issue_key(merchant).plaintext
    webmaster_key = issue_key(webmaster).plaintext

    with processes.gunicorn(tmp_path) as server:
        runs = {
            "merchant": _fuzz(server, tmp_path, key=merchant_key, label="merchant"),
            "webmaster": _fuzz(server, tmp_path, key=webmaster_key, label="webmaster"),
        }
    for label, summary in runs.items():
        print(f"schemathesis {label}: exit {summary['exit']}, cases {_cases(summary)}")  # noqa: T201
        print(summary["output_tail"][-2500:])  # noqa: T201
    for label, summary in runs.items():
        assert summary["exit"] == 0, f"{label} key: {summary['output_tail']}"
    # and gunicorn never answered a 500 to any of it
    assert server.answered(500) == 0
