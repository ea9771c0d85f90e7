"""Day partitions of the raw event tables (issue 19, apps/tracking/partitions.py): where rows
land, what the migration's conversion keeps, and the roll-ups across a partition boundary."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, Impression, PlacementDayStats
from apps.tracking.partitions import (
    PARTITIONED,
    partition_name,
    partitions_ensure,
    partitions_of,
    table_partition,
    table_unpartition,
)
from apps.tracking.services import traffic_rollup_day
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory, ImpressionFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date(2026, 3, 2)  # tenant-local (Asia/Shanghai, UTC+8)


def _where(model, pk):
    """The partition a row is stored in."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _ensure(today):
    with connection.cursor() as cursor:
        return partitions_ensure(cursor, today=today, days_ahead=2)


def _count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


class TestWhereRowsLand:
    def test_the_local_last_second_and_next_midnight_land_in_their_utc_day_partitions(self, tenant):
        # given partitions around the tenant's March 2 and 3 (UTC days March 1 to 4)
        _ensure(datetime.date(2026, 3, 2))
        last = datetime.datetime(2026, 3, 2, 23, 59, 59, tzinfo=SHANGHAI)  # 15:59:59Z, March 2
        first = datetime.datetime(2026, 3, 3, 0, 0, 0, tzinfo=SHANGHAI)  # 16:00:00Z, March 2
        early = datetime.datetime(2026, 3, 3, 8, 0, 0, tzinfo=SHANGHAI)  # 00:00:00Z, March 3
        placement = PlacementFactory(tenant=tenant)
        # when
        clicks = [
            ClickFactory(tenant=tenant, placement=placement, clicked_at=at, ip=f"198.51.100.{n}")
            for n, at in enumerate((last, first, early), start=1)
        ]
        # then partitions are UTC days: the first two share March 2's, the third is March 3's
        assert [_where(Click, c.pk) for c in clicks] == [
            "tracking_click_p20260302",
            "tracking_click_p20260302",
            "tracking_click_p20260303",
        ]
        # and the roll-ups count each in its tenant-local day
        traffic_rollup_day(day=D)
        traffic_rollup_day(day=D + datetime.timedelta(days=1))
        stats = dict(PlacementDayStats.objects.values_list("day", "clicks"))
        assert stats == {D: 1, D + datetime.timedelta(days=1): 2}

    def test_a_click_without_its_day_partition_lands_in_default_and_moves_in_later(self, tenant):
        # given no partition for 2031-05-05
        at = datetime.datetime(2031, 5, 5, 12, 0, tzinfo=datetime.UTC)
        click = ClickFactory(tenant=tenant, clicked_at=at)
        impression = ImpressionFactory(tenant=tenant, served_at=at)
        assert _where(Click, click.pk) == "tracking_click_default"
        assert _where(Impression, impression.pk) == "tracking_impression_default"
        # when the maintenance runs (twice: it is idempotent)
        created = _ensure(datetime.date(2031, 5, 1))
        assert _ensure(datetime.date(2031, 5, 1)) == []
        # then the day got its partitions and the rows moved in, none lost
        assert "tracking_click_p20310505" in created
        assert "tracking_impression_p20310505" in created
        assert _where(Click, click.pk) == "tracking_click_p20310505"
        assert _where(Impression, impression.pk) == "tracking_impression_p20310505"
        assert Click.objects.filter(pk=click.pk, click_id=click.click_id).count() == 1

    def test_ensure_creates_yesterday_to_days_ahead(self, tenant):
        created = _ensure(datetime.date(2032, 1, 10))
        days = sorted(name[-8:] for name in created if name.startswith("tracking_click_p"))
        assert days == ["20320109", "20320110", "20320111", "20320112"]

    def test_rows_of_another_tenant_in_the_same_partition_stay_invisible(
        self, tenant, other_tenant
    ):
        with tenant_scope(other_tenant):
            theirs = ClickFactory(
                tenant=other_tenant,
                clicked_at=datetime.datetime(2026, 3, 2, 4, 0, tzinfo=datetime.UTC),
            )
        mine = ClickFactory(tenant=tenant)
        assert list(Click.objects.values_list("pk", flat=True)) == [mine.pk]
        assert _where(Click, theirs.pk) is None  # stored, behind row-level security
        assert not Click.objects.filter(pk=theirs.pk).exists()


class TestConversion:
    """The migration's conversion (``table_partition``) and its reverse keep every row."""

    def _snapshot(self, model):
        return sorted(
            model.objects.order_by().values_list(
                "id",
                "tenant_id",
                *[
                    f.attname
                    for f in model._meta.concrete_fields
                    if f.attname not in ("id", "tenant_id")
                ],
            )
        )

    def test_unpartition_and_partition_again_keep_every_row_key_and_sequence(
        self, tenant, other_tenant
    ):
        # given clicks and impressions of two tenants over several days, incl. one far away
        days = [datetime.datetime(2026, 2, d, 10, tzinfo=datetime.UTC) for d in (26, 27, 28)]
        days.append(datetime.datetime(2029, 7, 1, tzinfo=datetime.UTC))
        for at in days:
            ClickFactory(tenant=tenant, clicked_at=at)
            ImpressionFactory(tenant=tenant, served_at=at)
        with tenant_scope(other_tenant):
            ClickFactory(tenant=other_tenant, clicked_at=days[0])
        before = {m: self._snapshot(m) for m in (Click, Impression)}
        with connection.cursor() as cursor:
            # when the migration is reversed
            for table, column in PARTITIONED.items():
                result = table_unpartition(cursor, table=table, column=column)
                assert result["rows"] == result["copied"] > 0
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'tracking_click'")
            assert cursor.fetchone() == ("r",)
            assert {m: self._snapshot(m) for m in (Click, Impression)} == before
            # and applied again
            for table, column in PARTITIONED.items():
                result = table_partition(
                    cursor, table=table, column=column, today=datetime.date(2026, 3, 1)
                )
                assert result["rows"] == result["copied"] > 0
            # then every row is back, each in its day's partition
            names = [p.name for p in partitions_of(cursor, "tracking_click")]
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'tracking_click'::regclass AND contype IN ('p', 'u')"
                " ORDER BY contype"
            )
            keys = [definition for (definition,) in cursor.fetchall()]
        assert {m: self._snapshot(m) for m in (Click, Impression)} == before
        assert _count("tracking_click") == 4  # the home tenant's, behind row-level security
        for day in ("20260226", "20260227", "20260228", "20290701", "20260301", "20260315"):
            assert f"tracking_click_p{day}" in names
        assert names[-1] == "tracking_click_default"
        assert keys == [
            "PRIMARY KEY (id, clicked_at)",
            "UNIQUE (tenant_id, click_id, clicked_at)",
        ]
        # the identity continues after the highest id
        newest = ClickFactory(tenant=tenant)
        assert newest.pk > max(row[0] for row in before[Click])
        assert _where(Click, newest.pk) == partition_name(
            "tracking_click", datetime.date(2026, 3, 2)
        )

    def test_the_conversion_is_a_noop_on_a_partitioned_table(self):
        with connection.cursor() as cursor:
            assert table_partition(cursor, table="tracking_click", column="clicked_at") == {
                "rows": 0,
                "copied": 0,
            }


# --- retention ---------------------------------------------------------------------------

JUNE = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)  # "now" of the maintenance


def _maintain(now=JUNE):
    from apps.tracking.services.retention import raw_events_maintain

    return raw_events_maintain(now=now, days_ahead=1)


def _values(queryset, *drop):
    return [
        {k: v for k, v in row.items() if k not in ("updated_at", *drop)}
        for row in queryset.order_by("pk").values()
    ]


class TestRetention:
    def test_a_partition_past_retention_goes_and_rollups_statements_and_claims_stay(self, tenant):
        from apps.commissions.models import DailyEarning, Statement
        from apps.commissions.selectors_reports import daily_report
        from apps.commissions.services.statements import statements_generate
        from apps.disputes.services import claim_quote
        from apps.tracking.errors import RawEventsPurgedError
        from apps.tracking.models import CampaignDayStats, RawEventRetention
        from apps.tracking.services import daily_run_execute
        from tests.disputes.factories import START, FullSitePlanFactory, spread
        from tests.sites.factories import ContractFactory

        # given a paid placement with raw clicks on March 2 and 3, both days run
        placement = ContractFactory(tenant=tenant).placement
        for n, hour in enumerate((10, 23), start=1):  # local March 2, 10:00 and 23:00
            at = datetime.datetime(2026, 3, 2, hour, tzinfo=SHANGHAI)
            ClickFactory(tenant=tenant, placement=placement, clicked_at=at, ip=f"192.0.2.{n}")
        ClickFactory(
            tenant=tenant,
            placement=placement,
            clicked_at=datetime.datetime(2026, 3, 3, 0, 30, tzinfo=SHANGHAI),
            ip="192.0.2.9",
        )
        ImpressionFactory(
            tenant=tenant,
            placement=placement,
            served_at=datetime.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
            rendered_at=datetime.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
        )
        for day in (D, D + datetime.timedelta(days=1)):
            daily_run_execute(day=day)
        # and a full-site plan's claim over March 1-7 (read from its daily roll-up)
        plan = FullSitePlanFactory(tenant=tenant, target_roi=Decimal("3.00"))
        spread(plan, spend="10000.00", gmv="25000.00")
        statements_generate(period="2026-03")
        affiliate = placement.site.affiliate
        file_day = START + datetime.timedelta(days=7)
        before = {
            "placement_days": _values(PlacementDayStats.objects.all()),
            "campaign_days": _values(CampaignDayStats.objects.all()),
            "earnings": _values(DailyEarning.objects.all()),
            "statements": _values(Statement.objects.all()),
            "report": daily_report(
                affiliate=affiliate, date_from=D, date_to=D + datetime.timedelta(days=1)
            ),
            "claim": claim_quote(campaign=plan, window_days=7, today=file_day),
        }
        assert [row["clicks"] for row in before["placement_days"]] == [2, 1]
        assert before["claim"].amount == Decimal("1666.67")

        # when the maintenance runs in June (90 days' retention)
        done = _maintain()
        assert _maintain()["dropped"] == []  # twice: nothing more to do

        # then March's partitions are gone, their rows with them
        assert "tracking_click_p20260302" in done["dropped"]
        assert "tracking_impression_p20260302" in done["dropped"]
        assert Click.objects.count() == 0
        assert Impression.objects.count() == 0
        with connection.cursor() as cursor:
            names = {p.name for p in partitions_of(cursor, "tracking_click")}
        assert "tracking_click_p20260302" not in names
        assert RawEventRetention.objects.get().purged_before == datetime.date(2026, 3, 17)
        # and roll-ups, earnings, statements, the report and the claim are unchanged
        after = {
            "placement_days": _values(PlacementDayStats.objects.all()),
            "campaign_days": _values(CampaignDayStats.objects.all()),
            "earnings": _values(DailyEarning.objects.all()),
            "statements": _values(Statement.objects.all()),
            "report": daily_report(
                affiliate=affiliate, date_from=D, date_to=D + datetime.timedelta(days=1)
            ),
            "claim": claim_quote(campaign=plan, window_days=7, today=file_day),
        }
        assert after == before
        statements_generate(period="2026-03")
        assert _values(Statement.objects.all()) == before["statements"]
        # and run_daily refuses to rebuild a day from rows that are gone
        with pytest.raises(RawEventsPurgedError) as refused:
            daily_run_execute(day=D)
        assert refused.value.code == "raw_events_purged"
        assert _values(PlacementDayStats.objects.all()) == before["placement_days"]

    def test_retention_of_one_tenant_never_deletes_another_tenants_rows(self, tenant, other_tenant):
        from apps.tenants.services import tenant_settings_update
        from apps.tracking.errors import RawEventsPurgedError
        from apps.tracking.models import RawEventRetention
        from apps.tracking.services import daily_run_execute

        # given A keeps 30 days, B the default 90, both with a click on April 20
        tenant_settings_update(tenant=tenant, click_window_days=20, raw_event_retention_days=30)
        april = datetime.datetime(2026, 4, 20, 4, 0, tzinfo=datetime.UTC)
        mine = ClickFactory(tenant=tenant, clicked_at=april)
        with tenant_scope(other_tenant):
            theirs = ClickFactory(tenant=other_tenant, clicked_at=april)
        # when the maintenance runs in June
        done = _maintain()
        # then A's click is deleted, B's stays, in a partition that stays
        assert done["purged"]["alpha"]["tracking_click"] == 1
        assert done["purged"]["beta"]["tracking_click"] == 0
        assert "tracking_click_p20260420" not in done["dropped"]
        assert not Click.objects.filter(pk=mine.pk).exists()
        with tenant_scope(other_tenant):
            assert Click.objects.filter(pk=theirs.pk).count() == 1
            assert RawEventRetention.objects.get().purged_before == datetime.date(2026, 3, 17)
            daily_run_execute(day=datetime.date(2026, 4, 20))  # B still has its raw rows
        assert RawEventRetention.objects.get().purged_before == datetime.date(2026, 5, 16)
        with pytest.raises(RawEventsPurgedError):
            daily_run_execute(day=datetime.date(2026, 4, 20))

    def test_a_retention_shorter_than_the_click_window_plus_a_week_is_refused(self, tenant):
        from django.core.exceptions import ValidationError

        from apps.tenants.services import tenant_settings_update

        with pytest.raises(ValidationError) as refused:
            tenant_settings_update(tenant=tenant, raw_event_retention_days=20)
        assert "raw_event_retention_days" in refused.value.message_dict
        tenant.refresh_from_db()
        assert tenant.raw_event_retention_days == 90

    def test_an_archive_is_written_before_a_partition_is_dropped(self, tenant, tmp_path):
        import gzip

        from apps.tracking.services.retention import raw_events_maintain

        click = ClickFactory(tenant=tenant)  # March 2 (UTC)
        done = raw_events_maintain(now=JUNE, days_ahead=1, archive=tmp_path)
        assert "tracking_click_p20260302" in done["dropped"]
        with gzip.open(tmp_path / "tracking_click_p20260302.csv.gz", "rt") as archived:
            lines = archived.read().splitlines()
        assert lines[0].startswith("id,")
        assert len(lines) == 2
        assert str(click.click_id) in lines[1]


def test_the_partitions_command_lists_and_maintains(tenant):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("partitions", "--maintain", "--days-ahead", "1", stdout=out)
    text = out.getvalue()
    assert "retention alpha: " in text
    assert "tracking_click: " in text
    assert "tracking_impression_default" in text


def test_the_hourly_beat_does_not_rerun_a_purged_day_for_a_late_refund(tenant):
    from apps.tracking.models import RawEventRetention
    from apps.tracking.selectors import days_to_rerun
    from tests.tracking.factories import ConversionFactory, DailyRunFactory

    # given March 2 and March 20 ran, then each got a refund
    ran = datetime.datetime(2026, 3, 21, tzinfo=datetime.UTC)
    later = ran + datetime.timedelta(days=30)
    for day in (D, datetime.date(2026, 3, 20)):
        DailyRunFactory(tenant=tenant, day=day, finished_at=ran)
        ConversionFactory(tenant=tenant, day=day, status_changed_at=later)
    yesterday = datetime.date(2026, 4, 30)
    DailyRunFactory(tenant=tenant, day=yesterday, finished_at=ran)
    assert days_to_rerun(yesterday=yesterday) == [D, datetime.date(2026, 3, 20)]
    # when retention removed the raw rows before March 17
    RawEventRetention.objects.create(
        tenant=tenant, purged_before=datetime.date(2026, 3, 17), purged_at=later
    )
    # then only the kept day is rerun
    assert days_to_rerun(yesterday=yesterday) == [datetime.date(2026, 3, 20)]
