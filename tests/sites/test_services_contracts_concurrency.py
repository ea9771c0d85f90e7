"""Two people creating overlapping contracts on one placement at the same moment: exactly one
wins, the other gets ``contract_overlap`` (the placement row lock serialises the check)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.sites.errors import ContractError
from apps.sites.models import Contract
from apps.sites.services import contract_create
from apps.tenants.scope import tenant_scope
from tests.sites.factories import PlacementFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_contracts_one_wins(tenant):
    placement = PlacementFactory(tenant=tenant)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(starts_on: datetime.date) -> None:
        try:
            with tenant_scope(tenant):
                barrier.wait(timeout=5)
                contract_create(
                    placement=placement,
                    daily_guarantee=Decimal("100.00"),
                    click_rate=Decimal("0.1000"),
                    starts_on=starts_on,
                )
            outcomes.append("created")
        except ContractError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=(datetime.date(2026, 3, day),)) for day in (1, 15)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["contract_overlap", "created"]
    assert Contract.objects.filter(placement=placement).count() == 1
