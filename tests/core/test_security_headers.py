"""Security headers: a strict CSP on the portal, Alpine allowed in the back office only."""

import pytest

from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


def _script_src(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("script-src"))


def test_portal_pages_allow_only_same_origin_scripts(tenant):
    response = client_for(tenant).get("/")
    assert _script_src(response).split() == ["script-src", "'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_back_office_pages_let_unfolds_alpine_run_but_still_no_other_origin(tenant):
    response = client_for(tenant, make_staff(tenant)).get("/admin/")
    assert response.status_code == 200
    assert _script_src(response).split() == ["script-src", "'self'", "'unsafe-eval'"]
    assert "'unsafe-inline'" not in _script_src(response)
