import datetime
from decimal import Decimal

import pytest

from apps.sites.errors import ContractError
from apps.sites.models import Contract
from apps.sites.services import contract_create, contract_terminate
from tests.sites.factories import ContractFactory, PlacementFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_contract_create_keeps_exact_terms(scoped, staff_user):
    placement = PlacementFactory(tenant=scoped)

    contract = contract_create(
        placement=placement,
        daily_guarantee=Decimal("500.00"),
        click_rate=Decimal("0.1500"),
        starts_on=D(2026, 3, 1),
        ends_on=D(2026, 3, 31),
        actor=staff_user,
    )

    contract.refresh_from_db()
    assert contract.daily_guarantee == Decimal("500.00")
    assert contract.click_rate == Decimal("0.1500")
    assert contract.status == "active"
    assert contract.created_by == staff_user
    assert contract.history.first().history_user == staff_user


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (D(2026, 3, 31), D(2026, 4, 30)),  # touches the last day
        (D(2026, 2, 1), D(2026, 3, 1)),  # touches the first day
        (D(2026, 3, 10), D(2026, 3, 12)),  # inside
        (D(2026, 2, 1), None),  # open-ended across
    ],
)
def test_overlapping_active_contract_is_refused_and_nothing_written(scoped, starts_on, ends_on):
    placement = PlacementFactory(tenant=scoped)
    ContractFactory(
        tenant=scoped, placement=placement, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31)
    )

    with pytest.raises(ContractError) as info:
        contract_create(
            placement=placement,
            daily_guarantee=Decimal("100.00"),
            click_rate=Decimal("0.1000"),
            starts_on=starts_on,
            ends_on=ends_on,
        )

    assert info.value.code == "contract_overlap"
    assert "2026-03-01 to 2026-03-31" in info.value.message
    assert Contract.objects.filter(placement=placement).count() == 1


def test_overlap_with_open_ended_contract_names_it(scoped):
    placement = PlacementFactory(tenant=scoped)
    ContractFactory(tenant=scoped, placement=placement, starts_on=D(2026, 1, 1), ends_on=None)

    with pytest.raises(ContractError) as info:
        contract_create(
            placement=placement,
            daily_guarantee=Decimal("1.00"),
            click_rate=Decimal("0.0100"),
            starts_on=D(2027, 6, 1),
        )

    assert "from 2026-01-01 to open-ended" in info.value.message
    assert Contract.objects.count() == 1


def test_adjacent_contract_and_other_placement_are_accepted(scoped):
    placement = PlacementFactory(tenant=scoped)
    ContractFactory(
        tenant=scoped, placement=placement, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31)
    )
    other = PlacementFactory(tenant=scoped)

    contract_create(
        placement=placement,
        daily_guarantee=Decimal("1.00"),
        click_rate=Decimal("0.0100"),
        starts_on=D(2026, 4, 1),
    )
    contract_create(
        placement=other,
        daily_guarantee=Decimal("1.00"),
        click_rate=Decimal("0.0100"),
        starts_on=D(2026, 3, 1),
    )

    assert Contract.objects.count() == 3


def test_terminated_contract_no_longer_blocks(scoped, staff_user):
    placement = PlacementFactory(tenant=scoped)
    old = ContractFactory(tenant=scoped, placement=placement, starts_on=D(2026, 3, 1))

    contract_terminate(contract=old, actor=staff_user, reason="renegotiated")
    new = contract_create(
        placement=placement,
        daily_guarantee=Decimal("2.00"),
        click_rate=Decimal("0.0200"),
        starts_on=D(2026, 3, 15),
    )

    old.refresh_from_db()
    assert old.status == "terminated"
    assert old.terminated_reason == "renegotiated"
    assert new.status == "active"


def test_terminate_twice_is_a_noop(scoped, staff_user):
    contract = ContractFactory(tenant=scoped)
    contract_terminate(contract=contract, actor=staff_user, reason="ended")
    count = contract.history.count()

    contract_terminate(contract=contract, actor=staff_user, reason="again")

    contract.refresh_from_db()
    assert contract.terminated_reason == "ended"
    assert contract.history.count() == count


def test_terminate_needs_a_reason(scoped, staff_user):
    contract = ContractFactory(tenant=scoped)
    with pytest.raises(ContractError) as info:
        contract_terminate(contract=contract, actor=staff_user, reason=" ")
    assert info.value.code == "reason_required"
    contract.refresh_from_db()
    assert contract.status == "active"


def test_end_before_start_is_refused(scoped):
    placement = PlacementFactory(tenant=scoped)
    with pytest.raises(ContractError) as info:
        contract_create(
            placement=placement,
            daily_guarantee=Decimal("1.00"),
            click_rate=Decimal("0.0100"),
            starts_on=D(2026, 3, 2),
            ends_on=D(2026, 3, 1),
        )
    assert info.value.code == "contract_invalid"
    assert Contract.objects.count() == 0


def test_database_exclusion_violation_becomes_overlap_error(scoped, monkeypatch):
    # given a check that misses the overlap (as a concurrent writer would)
    from apps.sites import services

    placement = PlacementFactory(tenant=scoped)
    ContractFactory(tenant=scoped, placement=placement, starts_on=D(2026, 3, 1))
    calls = []
    real = services._overlapping

    def blind(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_overlapping", blind)

    with pytest.raises(ContractError) as info:
        contract_create(
            placement=placement,
            daily_guarantee=Decimal("1.00"),
            click_rate=Decimal("0.0100"),
            starts_on=D(2026, 5, 1),
        )

    assert info.value.code == "contract_overlap"
    assert "2026-03-01" in info.value.message
    assert Contract.objects.count() == 1


def test_other_tenants_contracts_do_not_count_as_overlap(scoped, other_tenant):
    ContractFactory(tenant=other_tenant, starts_on=D(2026, 3, 1), placement__code="SAME1")
    placement = PlacementFactory(tenant=scoped, code="SAME1")

    contract_create(
        placement=placement,
        daily_guarantee=Decimal("1.00"),
        click_rate=Decimal("0.0100"),
        starts_on=D(2026, 3, 1),
    )

    assert Contract.objects.count() == 1
