"""Demo data: onboarding (issue 3). Idempotent; runs inside the demo tenant's scope.

Six merchants (tiers mixed, deep-link domains) and the bulk of the webmasters come in through
the import machinery, as BD would load them (``run_import``, the path of ``import_data`` and
the admin); the rest through the services: webmasters still in the pipeline, two active ones
without a contract, a suspended one, a pending self-service signup, and the two portal logins
``merchant@demo.localhost`` and ``webmaster@demo.localhost``.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

from apps.affiliates.models import Affiliate, PipelineStatus
from apps.affiliates.services import (
    affiliate_create,
    affiliate_signup,
    affiliate_suspend,
    affiliate_transition,
)
from apps.campaigns.models import Merchant
from apps.campaigns.services.merchants import merchant_user_invite
from apps.core.import_runner import run_import
from apps.demo.services import _person
from apps.sites.models import Site
from apps.sites.services import contract_create, placement_create, site_register
from apps.tenants.clock import tenant_today

MERCHANTS = [
    ("ACME", "Acme Electronics", "brand", "ads@acme-electronics.example",
     "acme-electronics.example shop.acme-electronics.example", "300"),
    ("BOLT", "Bolt Sports", "high_potential", "partners@boltsports.example",
     "boltsports.example", ""),
    ("CITRUS", "Citrus Beauty", "smb", "hello@citrusbeauty.example", "citrusbeauty.example", ""),
    ("DUNE", "Dune Home", "brand", "affiliates@dunehome.example", "dunehome.example", "250"),
    ("EMBER", "Ember Coffee", "smb", "team@embercoffee.example", "embercoffee.example", ""),
    ("FJORD", "Fjord Outdoor", "high_potential", "ads@fjordoutdoor.example",
     "fjordoutdoor.example www.fjordoutdoor.example", ""),
]  # fmt: skip

KINDS = ["webmaster", "content", "cashback", "influencer"]
POSITIONS = ["bottom_right", "bottom_left", "banner", "sidebar", "text_link"]
CATEGORIES = ["deals", "tech", "lifestyle", "news", "coupons"]
#: (guarantee per day, fee per valid click) of the imported contracts
TERMS = [("500.00", "0.10"), ("300.00", "0.10"), ("200.00", "0.08"), ("800.00", "0.12")]
IMPORTED = 18  # active webmasters loaded by the affiliates import
BD_OWNER = "bd@demo.localhost"
MERCHANT_LOGIN = "merchant@demo.localhost"
WEBMASTER_LOGIN = "webmaster@demo.localhost"


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _import(name: str, content: bytes, tenant: Any, log: Any) -> None:
    report = run_import(name, filename=f"demo-{name}.csv", content=content, tenant=tenant)
    if report.errors:  # the demo data is ours: a bad row is a bug here
        raise RuntimeError(f"demo {name} import failed: {[str(e) for e in report.errors[:5]]}")
    log(f"Onboarding: {report.summary()}")


def _webmaster_rows(starts_on: datetime.date) -> list[list[str]]:
    rows = []
    for n in range(1, IMPORTED + 1):
        guarantee, rate = TERMS[n % len(TERMS)]
        email = f"publisher{n:02d}@demo-publishers.example"
        for slot in range(1 + (n % 3 == 0)):  # every third webmaster has two placements
            rows.append(
                [
                    email,
                    f"Publisher {n:02d}",
                    KINDS[n % len(KINDS)],
                    f"https://publisher{n:02d}.demo-sites.example/",
                    f"Publisher {n:02d} {CATEGORIES[n % len(CATEGORIES)].title()}",
                    CATEGORIES[n % len(CATEGORIES)],
                    f"DEMO{n:02d}{slot}",
                    POSITIONS[(n + slot) % len(POSITIONS)],
                    guarantee,
                    rate,
                    starts_on.isoformat(),
                    "",
                    BD_OWNER,
                ]
            )
    return rows


def _site_with_placement(
    affiliate: Affiliate, *, n: int, status: str, contract_from: datetime.date | None, actor: Any
) -> None:
    site = site_register(
        affiliate=affiliate,
        url=f"https://{affiliate.email.split('@')[0]}.demo-sites.example/",
        name=f"{affiliate.name} site",
        category=CATEGORIES[n % len(CATEGORIES)],
        status=status,
    )
    placement = placement_create(site=site, position=POSITIONS[n % len(POSITIONS)])
    if contract_from is not None:
        contract_create(
            placement=placement,
            daily_guarantee=Decimal("500.00"),
            click_rate=Decimal("0.10"),
            starts_on=contract_from,
            actor=actor,
        )


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    today = tenant_today(tenant)
    starts_on = today - datetime.timedelta(days=max(days, 30) + 10)
    bd = _person(BD_OWNER, "BD (business development)")

    # merchants: an upsert by code, so a rerun changes nothing
    header = ["code", "name", "tier", "contact_email", "domains", "plan_quota"]
    _import("merchants", _csv(header, [list(row) for row in MERCHANTS]), tenant, log)

    # the bulk of the webmasters, as BD would import them (once: codes are unique)
    if not Affiliate.objects.filter(email="publisher01@demo-publishers.example").exists():
        header = [
            "email", "name", "kind", "site_url", "site_name", "site_category", "placement_code",
            "position", "daily_guarantee", "click_rate", "contract_start", "contract_end",
            "bd_owner_email",
        ]  # fmt: skip
        _import("affiliates", _csv(header, _webmaster_rows(starts_on)), tenant, log)
        affiliate_suspend(
            affiliate=Affiliate.objects.get(email="publisher18@demo-publishers.example"),
            actor=bd,
            reason="Demo: traffic under review",
        )

    # the rest of the pipeline, through the services
    pipeline = [
        ("lead01", "Lead Blog", PipelineStatus.LEAD, None),
        ("lead02", "Lead Deals", PipelineStatus.LEAD, None),
        ("contacted01", "Contacted Reviews", PipelineStatus.CONTACTED, "pending"),
        ("contracted01", "Contracted Coupons", PipelineStatus.CONTRACTED, "pending"),
        ("nocontract01", "Active, no contract yet", PipelineStatus.ACTIVE, "approved"),
        ("nocontract02", "Active, terms pending", PipelineStatus.ACTIVE, "approved"),
    ]
    for n, (local, name, status, site_status) in enumerate(pipeline):
        email = f"{local}@demo-publishers.example"
        if Affiliate.objects.filter(email=email).exists():
            continue
        affiliate = affiliate_create(
            email=email, name=name, kind=KINDS[n % len(KINDS)], bd_owner=bd, actor=bd
        )
        if status != PipelineStatus.LEAD:
            affiliate_transition(affiliate=affiliate, to=status, actor=bd)
        if site_status is not None:
            _site_with_placement(affiliate, n=n, status=site_status, contract_from=None, actor=bd)

    # a self-service signup waiting for review
    newcomer = _person("newcomer@demo-publishers.example", "New Publisher")
    if not Affiliate.objects.filter(user=newcomer).exists():
        affiliate = affiliate_signup(user=newcomer, name="New Publisher (self-signed-up)")
        site_register(
            affiliate=affiliate,
            url="https://newcomer.demo-sites.example/",
            name="Newcomer Reviews",
            category="reviews",
        )

    # the portal logins
    webmaster = _person(WEBMASTER_LOGIN, "Demo Webmaster")
    if not Affiliate.objects.filter(email=WEBMASTER_LOGIN).exists():
        affiliate = affiliate_create(
            email=WEBMASTER_LOGIN,
            name="Demo Webmaster",
            kind="content",
            status=PipelineStatus.ACTIVE,
            user=webmaster,
            bd_owner=bd,
            actor=bd,
        )
        _site_with_placement(affiliate, n=1, status="approved", contract_from=starts_on, actor=bd)
        site = Site.objects.get(affiliate=affiliate)
        placement_create(site=site, position="banner", name="Header banner")
    merchant_user = _person(MERCHANT_LOGIN, "Demo Merchant")
    merchant_user_invite(
        merchant=Merchant.objects.get(code="ACME"), email=MERCHANT_LOGIN, actor=bd, notify=False
    )
    result.logins.append(("Merchant (Acme Electronics)", merchant_user.email))
    result.logins.append(("Webmaster", webmaster.email))
    log(f"Onboarding: {Merchant.objects.count()} merchants, {Affiliate.objects.count()} webmasters")
