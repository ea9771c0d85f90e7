"""Claim evidence: type and size checked (extension and sniffed content), stored privately per
tenant, downloadable only by the claim's merchant users and the tenant's staff."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.disputes.errors import EvidenceError
from apps.disputes.models import Claim, ClaimEvidence
from apps.disputes.services import claim_submit, evidence_validate
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantUserFactory
from tests.conftest import client_for, make_staff
from tests.disputes.factories import FullSitePlanFactory, spread

pytestmark = pytest.mark.django_db

FILING_TIME = datetime.datetime(2026, 3, 8, 4, 0, tzinfo=datetime.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
def plan(tenant):
    plan = FullSitePlanFactory(tenant=tenant)
    spread(plan, spend="10000.00", gmv="25000.00")
    return plan


@pytest.fixture
def merchant_user(plan):
    return MerchantUserFactory(tenant=plan.tenant, merchant=plan.merchant).user


def submit_in_portal(tenant, user, plan, *files):
    with time_machine.travel(FILING_TIME, tick=False):
        return client_for(tenant, user).post(
            reverse("portal:merchant-claim-new"),
            {
                "action": "submit",
                "campaign": plan.pk,
                "window_days": 7,
                "note": "See the attached report",
                "evidence": list(files),
            },
        )


def test_portal_upload_too_large_is_refused_with_a_clear_message(tenant, plan, merchant_user):
    big = SimpleUploadedFile("report.txt", b"a" * (5 * 1024 * 1024 + 1), "text/plain")

    response = submit_in_portal(tenant, merchant_user, plan, big)

    assert response.status_code == 200
    assert "report.txt is 5.0 MB; evidence files may be at most 5 MB." in response.content.decode()
    assert Claim.objects.count() == 0
    assert ClaimEvidence.objects.count() == 0


def test_portal_upload_of_a_forbidden_type_is_refused(tenant, plan, merchant_user):
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/octet-stream")

    response = submit_in_portal(tenant, merchant_user, plan, exe)

    content = response.content.decode()
    assert "setup.exe: files of this type are not accepted as evidence" in content
    assert "allowed: csv, jpeg, jpg, pdf, png, txt" in content
    assert Claim.objects.count() == 0


def test_a_file_whose_content_is_not_its_extension_is_refused(scoped):
    fake = SimpleUploadedFile("invoice.pdf", b"<html>not a pdf</html>", "application/pdf")
    with pytest.raises(EvidenceError) as caught:
        evidence_validate(fake)
    assert caught.value.code == EvidenceError.CONTENT_MISMATCH
    assert caught.value.message == "invoice.pdf: the content is not a PDF file."


@pytest.mark.parametrize(
    ("name", "content", "stored_type"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("b.PNG", PNG, "image/png"),
        ("c.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("d.csv", b"day,spend\n2026-03-01,1000\n", "text/csv"),
        ("e.txt", "Umsatz über Ziel".encode(), "text/plain"),
    ],
)
def test_allowed_types_pass_and_store_the_sniffed_type(scoped, name, content, stored_type):
    # the browser's claimed type is ignored
    assert evidence_validate(SimpleUploadedFile(name, content, "application/x-anything")) == (
        stored_type
    )


def test_evidence_is_stored_privately_under_the_tenant_and_claim(tenant, plan, merchant_user):
    response = submit_in_portal(
        tenant, merchant_user, plan, SimpleUploadedFile("shot.png", PNG, "image/png")
    )

    assert response.status_code == 302
    claim = Claim.objects.get()
    evidence = claim.evidence.get()
    assert evidence.original_name == "shot.png"
    assert evidence.content_type == "image/png"
    assert evidence.size == len(PNG)
    assert evidence.file.name.startswith(f"{tenant.pk}/claims/{claim.pk}/")
    path = Path(evidence.file.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert path.read_bytes() == PNG
    assert evidence.file.storage.base_url is None or "shot" not in evidence.file.name


@pytest.fixture
def evidence(tenant, plan, merchant_user):
    with tenant_scope(tenant), time_machine.travel(FILING_TIME, tick=False):
        claim = claim_submit(
            campaign=plan,
            actor=merchant_user,
            evidence_files=[SimpleUploadedFile("proof.csv", b"day,gmv\n", "text/csv")],
        )
        return claim.evidence.get()


def test_the_claims_merchant_user_downloads_the_evidence(tenant, evidence, merchant_user):
    url = reverse("portal:claim-evidence", args=[evidence.pk])
    response = client_for(tenant, merchant_user).get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"day,gmv\n"
    response.close()
    assert response["Content-Type"] == "text/csv"
    assert 'attachment; filename="proof.csv"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_tenant_staff_download_the_evidence(tenant, evidence):
    url = reverse("portal:claim-evidence", args=[evidence.pk])
    response = client_for(tenant, make_staff(tenant, "risk")).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"day,gmv\n"
    response.close()


def test_another_merchants_user_gets_404(tenant, evidence):
    stranger = MerchantUserFactory(tenant=tenant).user
    url = reverse("portal:claim-evidence", args=[evidence.pk])
    assert client_for(tenant, stranger).get(url).status_code == 404


def test_a_webmaster_and_an_anonymous_visitor_get_404(tenant, evidence):
    webmaster = AffiliateFactory(tenant=tenant)
    from tests.tenants.factories import UserFactory

    user = UserFactory()
    webmaster.user = user
    webmaster.save(update_fields=["user"])
    url = reverse("portal:claim-evidence", args=[evidence.pk])
    assert client_for(tenant, user).get(url).status_code == 404
    assert client_for(tenant).get(url).status_code == 404


def test_another_tenants_staff_and_merchant_get_404(tenant, other_tenant, evidence):
    url = reverse("portal:claim-evidence", args=[evidence.pk])
    assert client_for(other_tenant, make_staff(other_tenant)).get(url).status_code == 404
    their_merchant_user = MerchantUserFactory(tenant=other_tenant).user
    assert client_for(other_tenant, their_merchant_user).get(url).status_code == 404
    # staff of another network on this network's host: not staff here
    assert client_for(tenant, make_staff(other_tenant)).get(url).status_code == 404


def test_a_missing_evidence_id_is_404(tenant, merchant_user):
    url = reverse("portal:claim-evidence", args=[999999])
    assert client_for(tenant, merchant_user).get(url).status_code == 404
