"""``make run PORT=8100`` serves on 8100 and says so (issue 20): no address names :8000."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_passes_the_port_to_the_seed_and_the_server():
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=8100"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "seed_demo --port 8100" in planned
    assert "runserver 0.0.0.0:8100" in planned
    assert ":8000" not in planned


@pytest.mark.django_db
@pytest.mark.unscoped
def test_seed_demo_prints_the_addresses_on_the_given_port():
    out = StringIO()
    call_command("seed_demo", days=1, port=8100, stdout=out)
    printed = out.getvalue()
    assert "Demo ready at http://demo.localhost:8100/" in printed
    assert "http://localhost:8100/admin/" in printed
    assert ":8000" not in printed
