import pytest
from django.core import mail
from django.core.cache import cache

from apps.affiliates.errors import AffiliateError, AffiliateTransitionError
from apps.affiliates.models import Affiliate, AffiliateIp, AffiliateNote
from apps.affiliates.services import (
    affiliate_approve,
    affiliate_assign_owner,
    affiliate_create,
    affiliate_ip_record,
    affiliate_note_add,
    affiliate_payment_hold_set,
    affiliate_reject,
    affiliate_suspend,
    affiliate_transition,
)
from tests.affiliates.factories import AffiliateFactory
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_records_profile_and_creator(scoped, staff_user):
    affiliate = affiliate_create(
        email="Ann@Example.net",
        name="Ann",
        kind="content",
        actor=staff_user,
        company="Ann Media",
    )

    affiliate.refresh_from_db()
    assert (affiliate.status, affiliate.kind, affiliate.company) == ("lead", "content", "Ann Media")
    assert affiliate.history.count() == 1
    assert affiliate.history.first().history_user == staff_user


def test_duplicate_email_is_refused_case_insensitively(scoped):
    affiliate_create(email="ann@example.net", name="Ann")

    with pytest.raises(AffiliateError) as info:
        affiliate_create(email="ANN@example.net", name="Ann again")

    assert info.value.code == "affiliate_email_taken"
    assert "ANN@example.net" in info.value.message
    assert Affiliate.objects.count() == 1


def test_same_email_in_another_tenant_is_fine(scoped, other_tenant):
    AffiliateFactory(tenant=other_tenant, email="ann@example.net")

    affiliate_create(email="ann@example.net", name="Ann")

    assert Affiliate.objects.count() == 1


def test_invalid_kind_and_unknown_field_are_refused(scoped):
    with pytest.raises(AffiliateError) as info:
        affiliate_create(email="x@example.net", name="X", kind="spammer")
    assert "kind" in info.value.message
    with pytest.raises(AffiliateError):
        affiliate_create(email="x@example.net", name="X", favourite_colour="red")
    assert Affiliate.objects.count() == 0


def test_pipeline_moves_and_history_keeps_who(scoped, staff_user):
    affiliate = AffiliateFactory(tenant=scoped, status="lead")

    for step in ["contacted", "contracted", "active"]:
        affiliate_transition(affiliate=affiliate, to=step, actor=staff_user, reason=f"to {step}")

    affiliate.refresh_from_db()
    assert affiliate.status == "active"
    assert affiliate.approved_at is not None
    rows = list(affiliate.history.order_by("history_date").values_list("status", "history_user"))
    assert rows[-3:] == [
        ("contacted", staff_user.pk),
        ("contracted", staff_user.pk),
        ("active", staff_user.pk),
    ]


def test_disallowed_move_is_refused_and_nothing_changes(scoped, staff_user):
    affiliate = AffiliateFactory(tenant=scoped, status="active")
    count = affiliate.history.count()

    with pytest.raises(AffiliateTransitionError) as info:
        affiliate_transition(affiliate=affiliate, to="rejected", actor=staff_user)

    assert "active to rejected" in info.value.message
    affiliate.refresh_from_db()
    assert affiliate.status == "active"
    assert affiliate.history.count() == count


def test_reapplying_status_is_a_noop(scoped, staff_user):
    affiliate = AffiliateFactory(tenant=scoped, status="suspended")
    count = affiliate.history.count()

    affiliate_suspend(affiliate=affiliate, actor=staff_user)

    assert affiliate.history.count() == count


def test_approve_emails_after_commit_and_once(
    scoped, staff_user, django_capture_on_commit_callbacks
):
    affiliate = AffiliateFactory(tenant=scoped, status="pending", email="new@example.net")

    with django_capture_on_commit_callbacks(execute=True):
        affiliate_approve(affiliate=affiliate, actor=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        affiliate_approve(affiliate=affiliate, actor=staff_user)

    affiliate.refresh_from_db()
    assert affiliate.status == "active"
    assert affiliate.approved_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.net"]
    assert "approved" in mail.outbox[0].subject


def test_reject_needs_reason_and_emails_it(scoped, staff_user, django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory(tenant=scoped, status="pending")

    with pytest.raises(AffiliateError):
        affiliate_reject(affiliate=affiliate, actor=staff_user, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        affiliate_reject(affiliate=affiliate, actor=staff_user, reason="Adult content")

    affiliate.refresh_from_db()
    assert affiliate.status == "rejected"
    assert len(mail.outbox) == 1
    assert "Adult content" in mail.outbox[0].body
    assert affiliate.history.first().history_change_reason == "Adult content"


def test_assign_owner_and_note(scoped, staff_user):
    affiliate = AffiliateFactory(tenant=scoped)

    affiliate_assign_owner(affiliate=affiliate, owner=staff_user, actor=staff_user)
    note = affiliate_note_add(affiliate=affiliate, author=staff_user, body="  Called Monday ")

    affiliate.refresh_from_db()
    assert affiliate.bd_owner == staff_user
    assert note.body == "Called Monday"
    assert AffiliateNote.objects.filter(affiliate=affiliate).count() == 1
    with pytest.raises(AffiliateError):
        affiliate_note_add(affiliate=affiliate, author=staff_user, body="  ")
    assert AffiliateNote.objects.count() == 1


def test_ip_record_upserts_and_skips_within_the_hour(scoped):
    cache.clear()
    affiliate = AffiliateFactory(tenant=scoped)

    first = affiliate_ip_record(affiliate=affiliate, ip="203.0.113.7")
    again = affiliate_ip_record(affiliate=affiliate, ip="203.0.113.7")
    cache.clear()
    later = affiliate_ip_record(affiliate=affiliate, ip="203.0.113.7")

    assert first is not None
    assert again is None
    assert later.pk == first.pk
    assert later.last_seen_at >= first.last_seen_at
    assert affiliate_ip_record(affiliate=affiliate, ip="not-an-ip") is None
    assert AffiliateIp.objects.count() == 1


def test_payment_hold_requires_reason_and_is_recorded(scoped, staff_user):
    affiliate = AffiliateFactory(tenant=scoped)

    with pytest.raises(AffiliateError) as info:
        affiliate_payment_hold_set(affiliate=affiliate, hold=True, reason="", actor=staff_user)
    assert info.value.code == "reason_required"
    affiliate.refresh_from_db()
    assert affiliate.payment_hold is False

    affiliate_payment_hold_set(
        affiliate=affiliate, hold=True, reason="Fraud check", actor=staff_user
    )
    affiliate.refresh_from_db()
    assert (affiliate.payment_hold, affiliate.payment_hold_reason) == (True, "Fraud check")
    latest = affiliate.history.first()
    assert latest.history_user == staff_user
    assert "Fraud check" in latest.history_change_reason

    affiliate_payment_hold_set(affiliate=affiliate, hold=False, reason="", actor=staff_user)
    affiliate.refresh_from_db()
    assert (affiliate.payment_hold, affiliate.payment_hold_reason) == (False, "")


def test_user_gets_one_profile_per_tenant(scoped):
    user = UserFactory()
    affiliate_create(email="a@example.net", name="A", user=user)

    with pytest.raises(AffiliateError) as info:
        affiliate_create(email="b@example.net", name="B", user=user)

    assert info.value.code == "affiliate_user_taken"
    assert Affiliate.objects.count() == 1
