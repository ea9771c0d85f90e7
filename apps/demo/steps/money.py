"""Demo data: money (issue 5). Idempotent; runs inside the demo tenant's scope, before the
traffic step, so the pipeline pays by these rules.

Commission rules of every specificity (DESIGN.md rules 1 and 10): the general 1.00 per
registration and 2.00 per order; 5% of new customers' electronics lines; 3% of returning
customers' apparel lines; 1.50 per registration for cashback sites; and, for the brand
merchant ACME, 4% of every order line. Rebate tiers (rule 9) by merchant tier and monthly spend:
brand 0 → 2%, 100,000 → 3%, 500,000 → 3.8%; high potential 0 → 1.5%, 100,000 → 3%;
small and medium 0 → 1%, 50,000 → 2.5%.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from apps.campaigns.models import Merchant
from apps.commissions.models import CommissionRule, RebateTier
from apps.commissions.services.rules import commission_rule_create

VALID_FROM = datetime.date(2025, 1, 1)

#: (event, rate_type, value, affiliate_kind, customer_type, product_type, merchant code)
RULES = [
    ("registration", "fixed", "1.00", "", "any", "", None),
    ("order", "fixed", "2.00", "", "any", "", None),
    ("order", "percent", "5", "", "new", "electronics", None),
    ("order", "percent", "3", "", "returning", "apparel", None),
    ("registration", "fixed", "1.50", "cashback", "any", "", None),
    ("order", "percent", "4", "", "any", "", "ACME"),
]

TIERS = [
    ("brand", "0", "0.0200"),
    ("brand", "100000", "0.0300"),
    ("brand", "500000", "0.0380"),
    ("high_potential", "0", "0.0150"),
    ("high_potential", "100000", "0.0300"),
    ("smb", "0", "0.0100"),
    ("smb", "50000", "0.0250"),
]


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    created = 0
    for event, rate_type, value, kind, customer_type, product_type, code in RULES:
        merchant = Merchant.objects.filter(code=code).first() if code else None
        if code and merchant is None:
            continue
        exists = CommissionRule.objects.filter(
            event=event,
            rate_type=rate_type,
            value=Decimal(value),
            affiliate_kind=kind,
            customer_type=customer_type,
            product_type=product_type,
            merchant=merchant,
            affiliate=None,
        ).exists()
        if not exists:
            commission_rule_create(
                event=event,
                rate_type=rate_type,
                value=Decimal(value),
                valid_from=VALID_FROM,
                affiliate_kind=kind,
                customer_type=customer_type,
                product_type=product_type,
                merchant=merchant,
            )
            created += 1
    tiers = 0
    for merchant_tier, spend_from, rate in TIERS:
        _, made = RebateTier.objects.get_or_create(
            tenant=tenant,
            merchant_tier=merchant_tier,
            monthly_spend_from=Decimal(spend_from),
            defaults={"rate": Decimal(rate)},
        )
        tiers += made
    log(f"Money: {created} commission rule(s), {tiers} rebate tier(s) created")
