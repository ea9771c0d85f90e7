"""Income-tax withholding on statements (issue 17): the PRC labour-remuneration preset's worked
examples, a statement showing gross, tax and net, companies and carried statements not
withheld, the payout posting to tax payable, the monthly report (CSV/XLSX, formula-safe), and a
webmaster paid in another currency at the rate of the approval's day."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from apps.commissions.models import AccountKind, LedgerEntry, Statement
from apps.commissions.services.statements import (
    StatementStateError,
    statement_approve,
    statement_mark_paid,
    statement_submit,
    statements_generate,
)
from apps.commissions.services.withholding import prc_labour
from apps.commissions.withholding_report import withholding_csv, withholding_rows, withholding_xlsx
from apps.tenants.services import tenant_settings_update
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import client_for, make_staff
from tests.fx.factories import FxRateFactory

pytestmark = pytest.mark.django_db

D = datetime.date
APPROVAL = datetime.datetime(2026, 4, 2, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(
    ("income", "tax"),
    [
        ("3000.00", "440.00"),  # (3,000 - 800) x 20 %
        ("10000.00", "1600.00"),  # (10,000 - 20 %) x 20 %
        ("30000.00", "5200.00"),  # 24,000 x 30 % - 2,000
        ("800.00", "0.00"),
        ("4000.00", "640.00"),
        ("4000.01", "640.00"),  # 3,200.01 x 20 % = 640.002
        ("25000.00", "4000.00"),  # 20,000 x 20 %: the top of the first bracket
        ("100000.00", "25000.00"),  # 80,000 x 40 % - 7,000
        ("0.00", "0.00"),
        ("-50.00", "0.00"),
    ],
)
def test_the_prc_labour_preset(income, tax):
    assert prc_labour(Decimal(income)).tax == Decimal(tax)


@pytest.fixture
def prc(tenant):
    # a money setting like the others: through the settings service, with history
    return tenant_settings_update(tenant=tenant, withholding_rule="prc_labour", reason="PRC")


def test_the_flat_rule_withholds_its_share(tenant):
    tenant_settings_update(
        tenant=tenant, withholding_rule="flat", withholding_flat_percent=Decimal("10")
    )
    person = AffiliateFactory(tenant=tenant)
    _month(person, "1234.56")
    statements_generate(period="2026-03")
    statement = _statement(person)
    assert (statement.tax_withheld, statement.total) == (Decimal("123.46"), Decimal("1111.10"))
    assert tenant.history.first().withholding_rule == "flat"


def _month(affiliate, amount):
    earning(affiliate, D(2026, 3, 5), amount)


def _statement(affiliate):
    return Statement.objects.get(affiliate=affiliate, period="2026-03")


def test_statement_shows_gross_tax_and_net_and_companies_are_not_withheld(prc):
    person = AffiliateFactory(tenant=prc, name="Li Wei", payout_details=True)
    company = AffiliateFactory(tenant=prc, name="Deals Ltd", is_company=True)
    small = AffiliateFactory(tenant=prc, name="Small")
    _month(person, "10000.00")
    _month(company, "10000.00")
    _month(small, "60.00")  # below the minimum payout of 100.00: carried, nothing withheld
    statements_generate(period="2026-03")
    mine = _statement(person)
    assert (mine.gross, mine.tax_withheld, mine.total, mine.withholding_rule) == (
        Decimal("10000.00"), Decimal("1600.00"), Decimal("8400.00"), "prc_labour",
    )  # fmt: skip
    theirs = _statement(company)
    assert (theirs.tax_withheld, theirs.total) == (Decimal("0.00"), Decimal("10000.00"))
    carried = _statement(small)
    assert (carried.carried_forward, carried.tax_withheld, carried.total) == (
        True, Decimal("0.00"), Decimal("60.00"),
    )  # fmt: skip
    # the rule turned off: the next generation withholds nothing
    prc.withholding_rule = "off"
    prc.save(update_fields=["withholding_rule"])
    statements_generate(period="2026-03")
    assert _statement(person).total == Decimal("10000.00")


def test_the_payout_posts_the_tax_to_tax_payable(prc):
    person = AffiliateFactory(tenant=prc, payout_details=True)
    _month(person, "3000.00")
    statements_generate(period="2026-03")
    statement = _statement(person)
    statement_submit(statement=statement, actor=make_staff(prc, "finance", email="f1@a.test"))
    approver = make_staff(prc, "finance", email="f2@a.test")
    statement_approve(statement=statement, actor=approver)
    statement_mark_paid(statement=statement, actor=approver, payout_reference="BANK-1")
    legs = {
        entry.account.kind: entry.amount
        for entry in LedgerEntry.objects.filter(
            transaction__idempotency_key=f"statement:{statement.pk}:paid"
        ).select_related("account")
    }
    assert legs == {
        AccountKind.WEBMASTER_PAYABLE: Decimal("-3000.00"),
        AccountKind.TAX_PAYABLE: Decimal("440.00"),
        AccountKind.NETWORK_CASH: Decimal("2560.00"),
    }


def test_the_monthly_report_per_webmaster_is_formula_safe(prc):
    person = AffiliateFactory(tenant=prc, name="=HYPERLINK(1)", payout_details=True)
    other = AffiliateFactory(tenant=prc, name="Zhao", payout_details=True)
    _month(person, "30000.00")
    _month(other, "3000.00")
    statements_generate(period="2026-03")
    rows = withholding_rows(period="2026-03")
    assert [(r.statement.affiliate_id, r.taxable, r.statement.tax_withheld) for r in rows] == [
        (person.pk, Decimal("24000.00"), Decimal("5200.00")),
        (other.pk, Decimal("2200.00"), Decimal("440.00")),
    ]
    parsed = list(csv.DictReader(io.StringIO(withholding_csv(rows).decode("utf-8-sig"))))
    assert parsed[0]["webmaster"] == "'=HYPERLINK(1)"
    assert (parsed[0]["gross"], parsed[0]["deduction"], parsed[0]["tax_withheld"],
            parsed[0]["net_paid"], parsed[0]["currency"]) == (
        "30000.00", "6000.00", "5200.00", "24800.00", "CNY",
    )  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(withholding_xlsx(rows))).active
    assert sheet["A2"].value == "'=HYPERLINK(1)"
    assert sheet["A2"].data_type == "s"


def test_the_report_page_is_for_finance(prc):
    person = AffiliateFactory(tenant=prc, name="Li Wei")
    _month(person, "3000.00")
    statements_generate(period="2026-03")
    url = "/admin/commissions/statement/withholding/?period=2026-03"
    finance = client_for(prc, make_staff(prc, "finance", email="f@a.test"))
    page = finance.get(url).content.decode()
    assert "Li Wei" in page
    assert "440.00" in page
    download = finance.get(url + "&format=csv")
    assert download["Content-Disposition"] == 'attachment; filename="withholding-2026-03.csv"'
    bd = client_for(prc, make_staff(prc, "bd", email="b@a.test"))
    assert bd.get(url).status_code == 403


def test_a_webmaster_paid_in_usd_gets_the_rate_of_the_approval_day(tenant):
    person = AffiliateFactory(tenant=tenant, payout_currency="USD", payout_details=True)
    _month(person, "720.00")
    statements_generate(period="2026-03")
    statement = _statement(person)
    statement_submit(statement=statement, actor=make_staff(tenant, "finance", email="f1@a.test"))
    approver = make_staff(tenant, "finance", email="f2@a.test")
    with time_machine.travel(APPROVAL, tick=False):
        with pytest.raises(StatementStateError) as refused:
            statement_approve(statement=statement, actor=approver)
        assert refused.value.fields["currency"]
        assert _statement(person).status == "submitted"
        FxRateFactory(
            tenant=tenant, day=D(2026, 4, 2), base="USD", quote="CNY", rate=Decimal("7.2")
        )
        statement_approve(statement=statement, actor=approver)
        statement_mark_paid(statement=statement, actor=approver, payout_reference="BANK-2")
    paid = _statement(person)
    assert (paid.payout_currency, paid.payout_amount) == ("USD", Decimal("100.00"))
    sums = {}
    for entry in LedgerEntry.objects.filter(
        transaction__idempotency_key=f"statement:{paid.pk}:paid"
    ).select_related("account"):
        key = (entry.account.kind, entry.account.currency)
        sums[key] = entry.amount
    assert sums == {
        (AccountKind.WEBMASTER_PAYABLE, "CNY"): Decimal("-720.00"),
        (AccountKind.FX_CLEARING, "CNY"): Decimal("720.00"),
        (AccountKind.FX_CLEARING, "USD"): Decimal("-100.00"),
        (AccountKind.NETWORK_CASH, "USD"): Decimal("100.00"),
    }
