"""Payout details (issue 14): validated with checksums, stored encrypted, masked to staff,
recorded in history, confirmed by email, required for approval and the bank export, never in
another tenant, in logs, or unmasked to BD or risk."""

import csv
import datetime
import io
import logging

import pytest
from django.core import mail
from django.db import connection

from apps.affiliates.models import PayoutDetails
from apps.affiliates.payouts import (
    PayoutDetailsError,
    payout_details_set,
    payouts_for_export,
)
from apps.commissions.models import Statement
from apps.commissions.services.statements import (
    StatementStateError,
    statement_approve,
    statement_submit,
    statements_generate,
)
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import TAX_ID, AffiliateFactory, give_payout_details
from tests.commissions.statement_helpers import earning
from tests.conftest import client_for, make_staff
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db

IBAN = "DE89 3704 0044 0532 0130 00"
ACCOUNT = "6222020200112233445"


@pytest.fixture
def webmaster(tenant):
    user = UserFactory(email="wm@example.net")
    return AffiliateFactory(tenant=tenant, user=user, email=user.email, name="Li Wei")


def _set(webmaster, **changes):
    values = {
        "method": "bank_transfer",
        "account_holder": "Li Wei",
        "bank": "ICBC Shanghai Branch",
        "account_number": ACCOUNT,
        "tax_id": TAX_ID,
        **changes,
    }
    with tenant_scope(webmaster.tenant):
        return payout_details_set(affiliate=webmaster, actor=webmaster.user, **values)


class TestValidation:
    def test_an_iban_is_checked_and_kept_compact(self, webmaster):
        details = _set(webmaster, account_number=IBAN)
        with tenant_scope(webmaster.tenant):
            payout = payouts_for_export([webmaster.pk])[webmaster.pk]
        assert payout.account_number == "DE89370400440532013000"
        assert details.summary.endswith("•••• 3000 · tax id •••• 341L")

    def test_a_bad_iban_checksum_is_refused_naming_the_field(self, webmaster):
        with pytest.raises(PayoutDetailsError) as info:
            _set(webmaster, account_number="DE89 3704 0044 0532 0130 01")
        assert list(info.value.fields) == ["account_number"]
        assert "checksum" in info.value.fields["account_number"][0]
        with tenant_scope(webmaster.tenant):
            assert not PayoutDetails.objects.exists()

    def test_a_tax_id_with_a_wrong_check_character_is_refused(self, webmaster):
        with pytest.raises(PayoutDetailsError) as info:
            _set(webmaster, tax_id="91110000600037341A")
        assert "check character" in info.value.fields["tax_id"][0]

    def test_eu_vat_numbers_are_checked(self, webmaster):
        _set(webmaster, tax_id="DE136695976")
        with pytest.raises(PayoutDetailsError):
            _set(webmaster, tax_id="DE136695977")

    def test_every_missing_field_is_named(self, webmaster):
        with pytest.raises(PayoutDetailsError) as info:
            _set(webmaster, account_holder="", bank="", account_number="", tax_id="")
        assert set(info.value.fields) == {"account_holder", "bank", "account_number", "tax_id"}

    def test_alipay_takes_an_email_or_a_mobile_number_and_no_bank(self, webmaster):
        details = _set(webmaster, method="alipay", bank="ignored", account_number="138 0013 8000")
        assert details.summary.startswith("Alipay · L••• W••• · •••• 8000")
        with pytest.raises(PayoutDetailsError) as info:
            _set(webmaster, method="alipay", account_number="not an account")
        assert list(info.value.fields) == ["account_number"]


class TestStorage:
    def test_values_are_encrypted_at_rest_and_history_is_masked(self, webmaster):
        _set(webmaster)
        with tenant_scope(webmaster.tenant), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM affiliates_payoutdetails")
            raw = repr(cursor.fetchall())
            cursor.execute("SELECT * FROM affiliates_historicalpayoutdetails")
            history = repr(cursor.fetchall())
        # the bank's name is shown in the masked summary; the rest never in clear
        for secret in (ACCOUNT, TAX_ID, "Li Wei"):
            assert secret not in raw
            assert secret not in history
        assert "•••• 3445" in history

    def test_a_change_is_recorded_and_confirmed_by_email_saving_again_is_a_noop(
        self, webmaster, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            _set(webmaster)
            _set(webmaster)  # the same details: nothing new
            _set(webmaster, account_number="6222020200199998888")
        with tenant_scope(webmaster.tenant):
            details = PayoutDetails.objects.get()
            assert details.history.count() == 2
            assert details.history.first().history_user == webmaster.user
        assert [m.to for m in mail.outbox] == [["wm@example.net"], ["wm@example.net"]]
        assert "•••• 8888" in mail.outbox[-1].body
        assert "6222020200199998888" not in mail.outbox[-1].body


class TestPortal:
    def test_the_webmaster_enters_details_and_sees_them_masked(self, tenant, webmaster, caplog):
        client = client_for(tenant, webmaster.user)
        page = client.get("/webmaster/payout/")
        assert page.status_code == 200
        assert 'id="payout-missing"' in page.content.decode()
        with caplog.at_level(logging.DEBUG):
            response = client.post(
                "/webmaster/payout/",
                {
                    "method": "bank_transfer",
                    "account_holder": "Li Wei",
                    "bank": "ICBC",
                    "account_number": ACCOUNT,
                    "tax_id": TAX_ID,
                },
            )
        assert response.status_code == 302
        content = client.get("/webmaster/payout/").content.decode()
        assert "•••• 3445" in content
        assert ACCOUNT not in content
        # never in logs (the SQL logger included: values are encrypted before they are sent)
        assert ACCOUNT not in caplog.text
        assert TAX_ID not in caplog.text

    def test_a_bad_number_is_a_field_error_and_changes_nothing(self, tenant, webmaster):
        client = client_for(tenant, webmaster.user)
        response = client.post(
            "/webmaster/payout/",
            {
                "method": "bank_transfer",
                "account_holder": "Li Wei",
                "bank": "ICBC",
                "account_number": "DE00 0000",
                "tax_id": TAX_ID,
            },
        )
        assert response.status_code == 400
        assert "IBAN is not valid" in response.content.decode()
        assert not PayoutDetails.objects.exists()


class TestStaff:
    @pytest.mark.parametrize("role", ["bd", "risk", "finance"])
    def test_staff_see_details_masked_only(self, tenant, webmaster, role):
        _set(webmaster)
        client = client_for(tenant, make_staff(tenant, role))
        content = client.get(f"/admin/affiliates/affiliate/{webmaster.pk}/change/").content
        text = content.decode()
        assert "•••• 3445" in text
        for secret in (ACCOUNT, TAX_ID):
            assert secret not in text

    def test_another_tenant_never_sees_them(self, tenant, other_tenant, webmaster):
        _set(webmaster)
        with tenant_scope(other_tenant):
            assert PayoutDetails.objects.count() == 0
            assert payouts_for_export([webmaster.pk]) == {}


@pytest.fixture
def submitted(tenant, webmaster):
    earning(webmaster, datetime.date(2026, 3, 2), "600.00")
    submitter = make_staff(tenant, "finance")
    with tenant_scope(tenant):
        statements_generate(period="2026-03")
        statement = Statement.objects.get(affiliate=webmaster)
        statement_submit(statement=statement, actor=submitter)
    return statement


class TestApprovalAndExport:
    def test_no_approval_without_complete_details_then_approval_after(
        self, tenant, webmaster, submitted
    ):
        approver = make_staff(tenant, "finance")
        with pytest.raises(StatementStateError) as info:
            statement_approve(statement=submitted, actor=approver)
        assert info.value.code == "statement_payout_details_missing"
        assert "no payout details entered" in info.value.message
        assert Statement.objects.get(pk=submitted.pk).status == "submitted"
        _set(webmaster)
        assert statement_approve(statement=submitted, actor=approver).status == "approved"

    def test_the_bank_export_names_every_row_left_out_and_why(self, tenant, webmaster):
        other = AffiliateFactory(tenant=tenant, name="Has Details")
        earning(webmaster, datetime.date(2026, 3, 2), "600.00")
        earning(other, datetime.date(2026, 3, 2), "700.00")
        submitter, approver = make_staff(tenant, "finance"), make_staff(tenant, "finance")
        give_payout_details(other)
        give_payout_details(webmaster)
        statements_generate(period="2026-03")
        for statement in Statement.objects.all():
            statement_submit(statement=statement, actor=submitter)
            statement_approve(statement=statement, actor=approver)
        # the webmaster's details go incomplete after approval (e.g. an old record)
        PayoutDetails.objects.filter(affiliate=webmaster).update(is_complete=False)
        ids = [str(pk) for pk in Statement.objects.values_list("pk", flat=True)]
        client = client_for(tenant, make_staff(tenant, "finance"))
        response = client.post(
            "/admin/commissions/statement/",
            {"action": "export_csv", "_selected_action": ids},
            follow=False,
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == 2
        row = dict(zip(rows[0], rows[1], strict=True))
        assert (row["webmaster"], row["account_number"], row["tax_id"]) == (
            "Has Details",
            ACCOUNT,
            TAX_ID,
        )
        messages = [str(m) for m in response.wsgi_request._messages]
        assert messages == [
            "Left out of the bank file: March 2026 · Li Wei · 600.00 CNY: "
            "payout details incomplete."
        ]
