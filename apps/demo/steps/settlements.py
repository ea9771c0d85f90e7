"""Demo data: settlements. Idempotent; runs inside the demo tenant's scope.

Last month's statements are generated, then three are moved through the workflow so each
state can be seen: one submitted by finance@demo.localhost (waiting for finance2's approval,
the four-eyes case), one approved by finance2, one approved and paid; those three webmasters
get payout details first (approval needs them). A rerun regenerates the
drafts (nothing twice) and moves nothing that already moved.
"""

from typing import Any

from apps.affiliates.payouts import payout_details_of, payout_details_set, payout_missing
from apps.commissions.models import Statement, StatementStatus
from apps.commissions.services.statements import (
    previous_period,
    statement_approve,
    statement_mark_paid,
    statement_submit,
    statements_generate,
)
from apps.tenants.clock import tenant_today
from apps.tenants.models import User

FINANCE = "finance@demo.localhost"
FINANCE2 = "finance2@demo.localhost"


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    period = previous_period(tenant_today(tenant))
    summary = statements_generate(period=period)
    log(
        f"Statements {period}: {summary['statements']} draft(s), {summary['lines_created']} "
        "new line(s)"
    )
    statements = Statement.objects.filter(period=period).select_related("affiliate")
    if statements.exclude(status=StatementStatus.DRAFT).exists():
        return  # the workflow part ran before
    finance = User.objects.filter(email=FINANCE).first()
    finance2 = User.objects.filter(email=FINANCE2).first()
    if finance is None or finance2 is None:
        return
    payable = list(
        statements.filter(carried_forward=False, affiliate__payment_hold=False).order_by(
            "affiliate__name", "pk"
        )[:3]
    )
    for index, statement in enumerate(payable):
        if payout_missing(payout_details_of(statement.affiliate)):
            # what the webmaster would enter in the portal (a valid USCC as the tax id)
            payout_details_set(
                affiliate=statement.affiliate,
                method="bank_transfer",
                account_holder=statement.affiliate.company or f"{statement.affiliate.name} Media",
                bank="ICBC Shanghai Branch",
                account_number=f"62220202001122{statement.affiliate.pk:05d}",
                tax_id="91110000600037341L",
                actor=statement.affiliate.user,
            )
        statement_submit(statement=statement, actor=finance)
        if index == 0:
            continue  # waits for finance2
        statement_approve(statement=statement, actor=finance2)
        if index == 2:
            statement_mark_paid(
                statement=statement,
                actor=finance2,
                payout_reference=f"DEMO-{period}-{statement.pk}",
            )
    log(f"Statements {period}: {len(payable)} moved through submit / approve / paid")
