"""The shared service plumbing in apps/core (issue 20): one home each."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections, transaction

from apps.affiliates.models import Affiliate
from apps.api.authentication import KeyUser
from apps.core.db import advisory_lock_key, advisory_xact_lock, model_update
from apps.core.errors import DomainError, validation_message
from apps.core.history import history_note, person
from apps.tenants.tasks import TenantTask, tenant_task
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import issue_key
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


class TestModelUpdate:
    def test_changes_only_what_differs_with_who_and_why(self, tenant):
        webmaster = AffiliateFactory(tenant=tenant, name="Old", phone="1")
        staff = make_staff(tenant, "bd")
        # when two fields are sent and one differs
        locked, changed = model_update(
            instance=webmaster, fields={"name": "New", "phone": "1"}, actor=staff
        )
        # then only that one is written, with a history row naming the person and the field
        assert changed == ["name"]
        assert Affiliate.objects.get().name == "New"
        latest = locked.history.latest()
        assert (latest.history_user, latest.history_change_reason) == (staff, "changed name")

    def test_nothing_differs_nothing_written(self, tenant):
        webmaster = AffiliateFactory(tenant=tenant, name="Same")
        rows = webmaster.history.count()
        _, changed = model_update(instance=webmaster, fields={"name": "Same"})
        assert changed == []
        assert webmaster.history.count() == rows

    def test_invalid_value_is_refused_and_nothing_saved(self, tenant):
        webmaster = AffiliateFactory(tenant=tenant, kind="webmaster")
        with pytest.raises(ValidationError) as refused:
            model_update(instance=webmaster, fields={"kind": "astronaut"})
        assert set(refused.value.message_dict) == {"kind"}
        assert Affiliate.objects.get().kind == "webmaster"


class TestHistoryNote:
    def test_an_api_key_is_not_a_person(self, tenant):
        webmaster = AffiliateFactory(tenant=tenant)
        key_user = KeyUser(issue_key(webmaster).api_key)
        assert person(key_user) is None
        history_note(webmaster, key_user, "x" * 150)
        webmaster.save()
        latest = webmaster.history.latest()
        assert latest.history_user is None
        assert latest.history_change_reason == "x" * 100

    def test_a_person_is_recorded(self, tenant):
        staff = make_staff(tenant, "bd")
        assert person(staff) == staff


def test_validation_message_names_each_field():
    exc = ValidationError({"email": ["Enter a valid email."], "tier": ["Unknown.", "Pick one."]})
    assert validation_message(exc) == "email: Enter a valid email.; tier: Unknown. Pick one."
    assert validation_message(ValidationError(["A.", "B."])) == "A. B."


class TestAdvisoryXactLock:
    def test_needs_a_transaction(self):
        # pytest-django wraps the test in a transaction; leave it to call outside one
        connection.in_atomic_block, saved = False, connection.in_atomic_block
        try:
            with pytest.raises(RuntimeError, match="needs an open transaction"):
                advisory_xact_lock("x")
        finally:
            connection.in_atomic_block = saved

    def test_a_second_transaction_cannot_take_the_same_name(self):
        key = advisory_lock_key("statements:1:2026-03")
        assert key == advisory_lock_key("statements:1:2026-03") != advisory_lock_key("x")
        seen = {}

        def other_transaction() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
                    seen["got"] = cursor.fetchone()[0]
            except OperationalError as exc:  # pragma: no cover - shown if it happens
                seen["error"] = exc
            finally:
                connections.close_all()

        with transaction.atomic():
            advisory_xact_lock("statements:1:2026-03")
            thread = threading.Thread(target=other_transaction)
            thread.start()
            thread.join(timeout=30)
        assert seen == {"got": False}


def test_tenant_task_has_the_house_options():
    @tenant_task("tests.plumbing_probe")
    def probe(self, *, tenant_id: int) -> None:
        return None

    assert isinstance(probe, TenantTask)
    assert probe.name == "tests.plumbing_probe"
    assert probe.acks_late is True
    assert probe.max_retries == 5
    assert probe.autoretry_for == (OperationalError,)
    assert probe.throws == (DomainError,)
