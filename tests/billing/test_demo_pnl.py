"""The demo's last month (issue 21): invoices and the network P&L agree with the ledger to the
cent, and a rerun of the demo changes nothing."""

import datetime

import pytest
import time_machine

from apps.billing import reconcile
from apps.billing.models import MerchantInvoice
from apps.billing.selectors import network_pnl
from apps.commissions.models import LedgerEntry
from apps.core.reconcile import reconcile_run
from apps.demo.services import demo_seed
from apps.tenants.scope import tenant_scope

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.datetime(2026, 4, 2, 6, 0, tzinfo=datetime.UTC), tick=False)
def test_demo_last_month_pnl_balances_against_the_ledger():
    result = demo_seed(days=3, log=lambda _: None)
    with tenant_scope(result.tenant):
        report = network_pnl(period="2026-03")
        statuses = sorted(MerchantInvoice.objects.values_list("status", flat=True))
        invoices_before = list(MerchantInvoice.objects.order_by("pk").values_list("pk", "total"))
        entries_before = LedgerEntry.objects.count()
        differences = [*reconcile.invoices(period="2026-03"), *reconcile.pnl(period="2026-03")]
        everything = [str(d) for d in reconcile_run(period="2026-03")]
    demo_seed(days=3, log=lambda _: None)
    with tenant_scope(result.tenant):
        invoices_after = list(MerchantInvoice.objects.order_by("pk").values_list("pk", "total"))
        entries_after = LedgerEntry.objects.count()

    assert differences == []
    assert everything == []  # every registered check, invoices and the P&L included
    assert report.net == report.ledger_net
    assert report.lines["spend"] > 0
    assert report.lines["cps_billed"] > 0
    assert report.lines["fees"] > 0
    assert {"paid", "approved", "submitted"} <= set(statuses)
    assert invoices_after == invoices_before
    assert entries_after == entries_before
