"""What every portal page carries (issue 15): a favicon that answers, links to it."""

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost"])
def test_favicon_ico_answers_on_tenant_and_platform_hosts(tenant, host):
    response = Client(headers={"host": host}).get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response["Cache-Control"]


def test_pages_link_the_favicon(tenant):
    page = client_for(tenant).get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert 'rel="icon" href="/favicon.ico"' in page
