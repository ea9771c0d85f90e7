"""The tenant's block list (issue 14): from the next run, clicks from a blocked range or user
agent are classified ``blocked`` (after ``bot``), counted on the roll-up and not paid."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from apps.tenants.scope import tenant_scope
from apps.tracking.errors import BlockRuleError
from apps.tracking.models import BlockRule, Click, PlacementDayStats
from apps.tracking.services import traffic_rollup_day
from apps.tracking.services.blocklist import block_rule_add, block_rule_deactivate
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)


def _click(tenant, placement, ip, agent="Mozilla/5.0 (X11; Linux) Chrome/120", minute=0):
    return ClickFactory(
        tenant=tenant,
        placement=placement,
        ip=ip,
        user_agent=agent,
        clicked_at=NOON + datetime.timedelta(minutes=minute),
    )


def _verdicts(tenant):
    with tenant_scope(tenant):
        return dict(Click.objects.values_list("ip", "verdict"))


def test_blocked_range_and_agent_from_the_next_run(tenant, staff_user):
    placement = PlacementFactory(tenant=tenant)
    _click(tenant, placement, "203.0.113.9", minute=1)
    _click(tenant, placement, "198.51.100.4", agent="Mozilla/5.0 FraudFarm/2.1", minute=2)
    _click(tenant, placement, "192.0.2.1", minute=3)
    _click(tenant, placement, "203.0.113.10", agent="curl/8.0", minute=4)  # a bot first
    traffic_rollup_day(day=DAY)
    assert set(_verdicts(tenant).values()) == {"valid", "bot"}
    # when: risk blocks a range and a user agent
    rule = block_rule_add(
        kind="ip_range", value="203.0.113.77/24", reason="click farm", actor=staff_user
    )
    block_rule_add(kind="user_agent", value="fraudfarm", reason="farm", actor=staff_user)
    assert rule.value == "203.0.113.0/24"
    counts = traffic_rollup_day(day=DAY)
    # then: the next run classifies them blocked; bots stay bots
    assert _verdicts(tenant) == {
        "203.0.113.9": "blocked",
        "198.51.100.4": "blocked",
        "192.0.2.1": "valid",
        "203.0.113.10": "bot",
    }
    assert counts["blocked_clicks"] == 2
    stats = PlacementDayStats.objects.get(placement=placement, day=DAY)
    assert (stats.clicks, stats.valid_clicks, stats.blocked_clicks) == (4, 1, 2)
    # switched off: the run after classifies them as before
    block_rule_deactivate(rule=rule, actor=staff_user)
    traffic_rollup_day(day=DAY)
    assert _verdicts(tenant)["203.0.113.9"] == "valid"


def test_another_tenants_block_list_does_not_apply(tenant, other_tenant, staff_user):
    placement = PlacementFactory(tenant=tenant)
    _click(tenant, placement, "203.0.113.9")
    with tenant_scope(other_tenant):
        block_rule_add(kind="ip_range", value="203.0.113.0/24", reason="x", actor=None)
    traffic_rollup_day(day=DAY)
    assert _verdicts(tenant) == {"203.0.113.9": "valid"}


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        ("ip_range", "not-an-ip", "value"),
        ("ip_range", "10.0.0.0/8", "value"),  # broader than a /10
        ("user_agent", "ab", "value"),
        ("ip_range", "203.0.113.0/24", "reason"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(scoped, kind, value, field):
    reason = "" if field == "reason" else "why"
    with pytest.raises(BlockRuleError) as info:
        block_rule_add(kind=kind, value=value, reason=reason, actor=None)
    assert list(info.value.fields) == [field]
    assert BlockRule.objects.count() == 0


def test_adding_the_same_entry_twice_is_a_noop(scoped):
    first = block_rule_add(kind="ip_range", value="203.0.113.5", reason="x", actor=None)
    again = block_rule_add(kind="ip_range", value="203.0.113.5/32", reason="y", actor=None)
    assert first.pk == again.pk
    assert BlockRule.objects.count() == 1
