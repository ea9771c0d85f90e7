"""The full self-service path (issue 3): signup → verification code (issue 15: typed into the
page the signup leads to, which can send a new one or change the address) → pending profile →
staff approval → live ad code on the placements page."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from apps.affiliates.models import Affiliate, AffiliateSignup
from apps.affiliates.services import affiliate_approve
from apps.sites.models import Placement, Site
from apps.sites.services import site_transition
from apps.tenants.models import User
from apps.tenants.scope import tenant_scope
from tests.conftest import client_for, host_of

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def _signup(client, email="new.webmaster@example.net", **extra):
    data = {
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "Deal Hunters",
        "kind": "content",
        **extra,
    }
    return client.post("/accounts/signup/", data)


VERIFY = "/accounts/confirm-email/"
CODE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", re.MULTILINE)


def _verification_code(tenant, to: str | None = None) -> str:
    """The code in the last verification mail (sent from this tenant's host)."""
    message = mail.outbox[-1]
    if to is not None:
        assert message.to == [to]
    codes = CODE.findall(message.body)
    assert codes, f"no verification code in {message.body!r}"
    assert host_of(tenant) in message.body
    return codes[-1]


def _confirm(client, tenant, **kwargs):
    return client.post(VERIFY, {"code": _verification_code(tenant)}, **kwargs)


def test_full_signup_path_to_live_ad_code(
    tenant, other_tenant, staff_user, django_capture_on_commit_callbacks
):
    client = client_for(tenant)

    # signup: the form asks for name and kind; nothing for staff yet
    response = _signup(client)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.webmaster@example.net")
    assert user.name == "Deal Hunters"
    assert Affiliate.objects.count() == 0
    assert AffiliateSignup.objects.get(user=user).kind == "content"

    # the email carries a code, typed into the page the signup led to; it makes the profile
    assert response["Location"] == VERIFY
    assert client.get(VERIFY).status_code == 200
    response = _confirm(client, tenant)
    assert response.status_code == 302
    affiliate = Affiliate.objects.get(user=user)
    assert (affiliate.status, affiliate.kind, affiliate.name, affiliate.email) == (
        "pending",
        "content",
        "Deal Hunters",
        "new.webmaster@example.net",
    )
    assert AffiliateSignup.objects.get(user=user).completed_at is not None
    with tenant_scope(other_tenant):
        assert Affiliate.objects.count() == 0

    # the person is signed in and lands on the webmaster dashboard with a pending banner
    client = client_for(tenant, user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/webmaster/dashboard/"
    assert 'data-status="pending"' in response.content.decode()

    # a pending webmaster can register a site and a placement but sees no ad code
    response = client.post(
        "/webmaster/sites/", {"url": "https://deals.example.org", "name": "Deals"}
    )
    assert response.status_code == 302
    site = Site.objects.get(affiliate=affiliate)
    assert site.status == "pending"
    response = client.post(f"/webmaster/sites/{site.pk}/", {"position": "bottom_right"})
    assert response.status_code == 302
    placement = Placement.objects.get(site=site)
    page = client.get("/webmaster/placements/").content.decode()
    assert "available once your account is approved" in page
    assert "ad.js" not in page

    # staff approve the webmaster (emailed after the commit) and the site
    with django_capture_on_commit_callbacks(execute=True):
        affiliate_approve(affiliate=affiliate, actor=staff_user)
        site_transition(site=site, to="approved", actor=staff_user)
    assert mail.outbox[-1].to == ["new.webmaster@example.net"]
    assert "approved" in mail.outbox[-1].subject

    # now the placements page shows the unified ad code with a copy button
    page = client.get("/webmaster/placements/").content.decode()
    expected = (
        f"&lt;script async src=&quot;http://{host_of(tenant)}/ad.js&quot; "
        f"data-placement=&quot;{placement.code}&quot;&gt;&lt;/script&gt;"
    )
    assert expected in page
    assert f'data-copy-target="ad-code-{placement.code}"' in page
    assert "available once your account is approved" not in page
    assert 'data-status="active"' in page


def test_signup_is_closed_off_tenant_hosts(db):
    from django.test import Client

    client = Client(headers={"host": "localhost"})
    response = client.get("/accounts/signup/")
    client.post(
        "/accounts/signup/",
        {"email": "x@example.net", "password1": PASSWORD, "password2": PASSWORD, "name": "X"},
    )

    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.filter(email="x@example.net").exists()


def test_unverified_signup_has_no_profile_and_cannot_enter_portal(tenant):
    client = client_for(tenant)
    _signup(client, email="slow@example.net")
    user = User.objects.get(email="slow@example.net")

    response = client_for(tenant, user).get("/webmaster/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Affiliate.objects.count() == 0


def test_verifying_staff_email_creates_no_profile(tenant, staff_user):
    from allauth.account.models import EmailAddress
    from allauth.account.signals import email_confirmed

    address = EmailAddress.objects.get(user=staff_user)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    assert Affiliate.objects.count() == 0


def test_signup_links_a_profile_bd_created_for_the_same_email(tenant, staff_user):
    from apps.affiliates.services import affiliate_create

    imported = affiliate_create(
        email="known@example.net", name="Known", status="contracted", actor=staff_user
    )
    client = client_for(tenant)
    _signup(client, email="known@example.net")
    _confirm(client, tenant)

    assert Affiliate.objects.count() == 1
    imported.refresh_from_db()
    assert imported.user.email == "known@example.net"
    assert imported.status == "contracted"


def test_signup_needs_a_name(tenant):
    response = _signup(client_for(tenant), email="anon@example.net", name="")

    assert response.status_code == 200
    assert not User.objects.filter(email="anon@example.net").exists()


def test_staff_approval_in_the_admin_turns_on_the_ad_code(
    tenant, staff_user, django_capture_on_commit_callbacks
):
    from tests.affiliates.factories import AffiliateFactory
    from tests.sites.factories import PlacementFactory
    from tests.tenants.factories import UserFactory

    user = UserFactory(email="waiting@example.net")
    affiliate = AffiliateFactory(tenant=tenant, user=user, email=user.email, status="pending")
    placement = PlacementFactory(tenant=tenant, site__affiliate=affiliate, code="WAIT1")
    webmaster = client_for(tenant, user)
    assert "ad.js" not in webmaster.get("/webmaster/placements/").content.decode()

    # staff confirm the bulk action on the changelist
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant, staff_user).post(
            "/admin/affiliates/affiliate/",
            {"action": "approve", "_selected_action": [affiliate.pk], "post": "yes"},
        )

    assert response.status_code == 302
    affiliate.refresh_from_db()
    assert affiliate.status == "active"
    assert [m.to for m in mail.outbox] == [["waiting@example.net"]]
    page = webmaster.get("/webmaster/placements/").content.decode()
    assert f"data-placement=&quot;{placement.code}&quot;" in page


def test_confirmation_still_works_when_the_profile_is_refused(tenant):
    from tests.affiliates.factories import AffiliateFactory
    from tests.tenants.factories import UserFactory

    # BD gave this email to a profile that already belongs to another account
    AffiliateFactory(tenant=tenant, email="shared@example.net", user=UserFactory())
    client = client_for(tenant)
    _signup(client, email="shared@example.net")

    response = _confirm(client, tenant, follow=True)

    assert response.status_code == 200
    assert "could not be created" in response.content.decode()
    user = User.objects.get(email="shared@example.net")
    assert user.emailaddress_set.get().verified is True
    assert Affiliate.objects.filter(email__iexact="shared@example.net").count() == 1
    assert not Affiliate.objects.filter(user=user).exists()


def test_the_verify_page_sends_a_new_code_or_changes_the_address(tenant):
    # given a signup whose mail did not arrive (a typo in the address)
    client = client_for(tenant)
    _signup(client, email="typo@exmaple.net")
    page = client.get(VERIFY).content.decode()
    assert "Request new code" in page
    assert "Use a different email address" in page
    first = _verification_code(tenant, to="typo@exmaple.net")
    # when they ask for a new code (once allauth's one-mail-per-3-minutes limit has passed)
    cache.clear()
    response = client.post(VERIFY, {"action": "resend"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert _verification_code(tenant, to="typo@exmaple.net") != first
    # and when they change the address, the code goes to the new one and verifies it
    cache.clear()
    response = client.post(VERIFY, {"action": "change", "email": "right@example.net"})
    assert response.status_code == 302
    code = _verification_code(tenant, to="right@example.net")
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 302
    user = User.objects.get(email="right@example.net")
    assert user.emailaddress_set.get(email="right@example.net").verified is True
    assert not user.emailaddress_set.filter(email="typo@exmaple.net").exists()
    assert Affiliate.objects.get(user=user).email == "right@example.net"
