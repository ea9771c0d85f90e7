"""Limits per client behind a real proxy (issue 22), through the full middleware stack.

Every request arrives from the proxy's socket address (``REMOTE_ADDR`` 10.0.0.2, listed in
``TRUSTED_PROXIES``) with the client in ``X-Forwarded-For``, as the README's deployment has
it. Before issue 22 allauth and the API-key limiter counted the proxy: one guesser locked
sign-in and the API for everybody.
"""

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from apps.affiliates.models import Affiliate
from apps.core.clientip import client_address
from apps.tenants.accounts import account_lockout_lift
from apps.tenants.models import Membership
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for, host_of, make_staff
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "pass-w0rd-123"  # UserFactory's


@pytest.fixture(autouse=True)
def behind_a_proxy(settings) -> Iterator[None]:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    cache.clear()
    yield
    cache.clear()


def via_proxy(tenant, client_address_: str) -> Client:
    return Client(
        headers={"host": host_of(tenant), "x-forwarded-for": client_address_},
        REMOTE_ADDR=PROXY,
    )


def webmaster(tenant, email: str):
    user = UserFactory(email=email)
    AffiliateFactory(tenant=tenant, user=user, email=email)
    return user


def sign_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response["Location"]


def too_many(response) -> bool:
    return response.status_code == 429 or (
        response.status_code == 200 and b"Too many failed login attempts" in response.content
    )


def test_the_client_address_is_the_rightmost_untrusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5, 10.0.0.9"}
    assert client_address(meta) == "203.0.113.5"
    # a peer that is not a proxy of ours is the client, whatever it forwards
    assert client_address({**meta, "REMOTE_ADDR": "198.51.100.1"}) == "198.51.100.1"
    # nothing is trusted unless configured
    settings.TRUSTED_PROXIES = []
    assert client_address(meta) == PROXY


def test_eleven_failed_logins_from_one_client_do_not_block_another_clients_login(tenant):
    # given a webmaster, and a guesser behind the same proxy
    webmaster(tenant, "owner@example.net")
    guesser = via_proxy(tenant, "203.0.113.5")
    # when the guesser fails 11 times (on different accounts: no account's own limit is hit)
    for attempt in range(11):
        response = sign_in(guesser, f"guess{attempt}@example.net", "wrong-password-1")
        assert not signed_in(response)
    # then the guesser's address is limited: even a right password fails from there
    assert too_many(sign_in(guesser, "owner@example.net", PASSWORD))
    # and another client behind the same proxy signs in
    response = sign_in(via_proxy(tenant, "198.51.100.9"), "owner@example.net", PASSWORD)
    assert signed_in(response), response.content[:500]


def test_an_accounts_lockout_is_per_account_on_every_host_and_lifted_by_staff(tenant, other_tenant):
    # given a person who is a webmaster in two networks
    user = webmaster(tenant, "both@example.net")
    AffiliateFactory(tenant=other_tenant, user=user, email="both@example.net")
    # when guesses from many clients on both hosts exhaust the account's own limit (5)
    for attempt in range(5):
        net = tenant if attempt % 2 else other_tenant
        sign_in(via_proxy(net, f"203.0.113.{attempt + 10}"), user.email, "wrong-password-1")
    # then the account is locked on both hosts, whoever asks
    assert too_many(sign_in(via_proxy(tenant, "198.51.100.20"), user.email, PASSWORD))
    assert too_many(sign_in(via_proxy(other_tenant, "198.51.100.21"), user.email, PASSWORD))
    # and another account is not
    webmaster(tenant, "other@example.net")
    assert signed_in(sign_in(via_proxy(tenant, "198.51.100.22"), "other@example.net", PASSWORD))
    # when staff lift the lock-out, the person signs in at once
    account_lockout_lift(user=user)
    assert signed_in(sign_in(via_proxy(tenant, "198.51.100.23"), user.email, PASSWORD))


def test_a_successful_password_reset_lifts_the_accounts_lockout(tenant):
    user = webmaster(tenant, "locked@example.net")
    for attempt in range(5):
        sign_in(via_proxy(tenant, f"203.0.113.{attempt + 30}"), user.email, "wrong-password-1")
    person = via_proxy(tenant, "198.51.100.40")
    assert too_many(sign_in(person, user.email, PASSWORD))
    # when the person resets the password by the mailed link
    assert person.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    link = mail.outbox[-1].body.split(f"http://{host_of(tenant)}", 1)[1].split()[0]
    form = person.get(link, follow=True)
    new = "a-New-passphrase-77"
    done = person.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302
    # then the account signs in again
    person.logout()
    assert signed_in(sign_in(via_proxy(tenant, "198.51.100.41"), user.email, new))


def test_forty_wrong_keys_from_one_address_do_not_block_a_valid_key_from_it(tenant):
    # given a partner's key, and a guesser at the partner's own address (an office NAT)
    issued = issue_key(MerchantFactory(tenant=tenant))
    prefix = issued.plaintext.split(".")[0]
    office = via_proxy(tenant, "203.0.113.77")
    # when 40 wrong keys come from there: 20 random ones, 20 on the partner's own prefix
    statuses = []
    for attempt in range(20):
        header = f"Bearer ak_guess{attempt:04d}.secret{attempt}"
        statuses.append(office.get("/api/v1/me", HTTP_AUTHORIZATION=header).status_code)
    for attempt in range(20):
        header = f"Bearer {prefix}.guess{attempt}"
        statuses.append(office.get("/api/v1/me", HTTP_AUTHORIZATION=header).status_code)
    assert set(statuses) == {401}
    # then the partner's valid key still works from that address
    assert office.get("/api/v1/me", **bearer(issued)).status_code == 200


def test_failed_keys_are_limited_per_address_and_prefix(tenant, settings):
    settings.API_KEY_FAILED_ATTEMPTS_PER_MINUTE = 3
    issued = issue_key(MerchantFactory(tenant=tenant))
    prefix = issued.plaintext.split(".")[0]
    guesser = via_proxy(tenant, "203.0.113.88")
    wrong = {"HTTP_AUTHORIZATION": f"Bearer {prefix}.guess"}
    assert [guesser.get("/api/v1/me", **wrong).status_code for _ in range(4)] == [
        401,
        401,
        401,
        429,
    ]
    blocked = guesser.get("/api/v1/me", **wrong)
    assert blocked.json()["extra"]["retry_after_seconds"] == 60
    # another prefix from the same address, and the same prefix from another address: 401
    other = {"HTTP_AUTHORIZATION": "Bearer ak_other0001.guess"}
    assert guesser.get("/api/v1/me", **other).status_code == 401
    assert via_proxy(tenant, "198.51.100.88").get("/api/v1/me", **wrong).status_code == 401
    # malformed headers fill the address's own bucket and are then refused before any lookup
    junk = {"HTTP_AUTHORIZATION": "Bearer nodot"}
    assert [guesser.get("/api/v1/me", **junk).status_code for _ in range(4)][-1] == 429
    # and the valid key is never refused
    assert guesser.get("/api/v1/me", **bearer(issued)).status_code == 200


def test_the_unauthenticated_api_throttle_believes_only_our_proxies(tenant, settings):
    from rest_framework.test import APIRequestFactory

    from apps.api.throttling import ApiKeyRateThrottle

    request = APIRequestFactory().get(
        "/api/v1/me", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5"
    )
    from rest_framework.request import Request

    assert ApiKeyRateThrottle().get_ident(Request(request)) == "203.0.113.5"


def test_webmaster_key_records_the_forwarded_client_not_the_proxy(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    issued = issue_key(affiliate)
    via_proxy(tenant, "203.0.113.99").get("/api/v1/me", **bearer(issued))
    ips = set(Affiliate.objects.get(pk=affiliate.pk).known_ips.values_list("ip", flat=True))
    assert ips == {"203.0.113.99"}


def test_tenant_admins_lift_a_staff_members_lockout_from_the_back_office(tenant):
    # given a finance person locked out by guesses
    person = make_staff(tenant, "finance", email="finance@alpha.example")
    for attempt in range(5):
        sign_in(via_proxy(tenant, f"203.0.113.{attempt + 50}"), person.email, "wrong-password-1")
    assert too_many(sign_in(via_proxy(tenant, "198.51.100.50"), person.email, PASSWORD))
    # when the tenant admin runs "Lift sign-in lock-out" on the membership
    membership = Membership.objects.get(user=person)
    admin_client = client_for(tenant, make_staff(tenant, "tenant_admin"))
    response = admin_client.post(
        "/admin/tenants/membership/",
        {"action": "lift_sign_in_lockout", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    # then the person signs in
    assert signed_in(sign_in(via_proxy(tenant, "198.51.100.51"), person.email, PASSWORD))
