"""Both walls of tenancy: django-scopes (unscoped queries raise) and PostgreSQL RLS."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes.exceptions import ScopeError

from apps.affiliates.models import Affiliate
from apps.core.models import TenantScopedModel
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory

# The walls are the subject here: each test opens (or does not open) its scopes itself.
pytestmark = [pytest.mark.django_db, pytest.mark.unscoped]

# Platform tables with a tenant_id that are read before any scope exists: the host lookup, and
# the served-state versions every process polls across tenants (apps/tracking/propagation.py).
PLATFORM_TABLES = {"tenants_tenantdomain", "tenants_liveversion"}


def _raw_affiliate_emails() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM affiliates_affiliate")
        return {row[0] for row in cursor.fetchall()}


class TestWallOneScopes:
    def test_unscoped_query_on_tenant_model_raises(self, tenant):
        AffiliateFactory(tenant=tenant)
        with pytest.raises(ScopeError):
            list(Affiliate.objects.all())

    def test_scoped_query_sees_only_its_tenant(self, tenant, other_tenant):
        mine = AffiliateFactory(tenant=tenant)
        AffiliateFactory(tenant=other_tenant)
        with tenant_scope(tenant):
            assert list(Affiliate.objects.all()) == [mine]


class TestWallTwoRowLevelSecurity:
    def test_raw_select_in_tenant_a_returns_none_of_tenant_b(self, tenant, other_tenant):
        # given one webmaster in each tenant
        AffiliateFactory(tenant=tenant, email="a@alpha.example")
        AffiliateFactory(tenant=other_tenant, email="b@beta.example")
        # when raw SQL without any WHERE runs in tenant A's scope
        with tenant_scope(tenant):
            emails = _raw_affiliate_emails()
        # then it sees A's row and not B's
        assert emails == {"a@alpha.example"}

    def test_raw_insert_of_tenant_b_row_from_tenant_a_scope_is_refused(self, tenant, other_tenant):
        with (
            tenant_scope(tenant),
            pytest.raises(DatabaseError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO affiliates_affiliate (tenant_id, email, name, kind, status,"
                " company, phone, payment_hold, payment_hold_reason, created_at, updated_at)"
                " VALUES (%s, 'x@beta.example', 'X', 'webmaster', 'active', '', '',"
                " false, '', now(), now())",
                [other_tenant.pk],
            )
        with tenant_scope(other_tenant):
            assert _raw_affiliate_emails() == set()

    def test_raw_update_cannot_touch_tenant_b_rows(self, tenant, other_tenant):
        AffiliateFactory(tenant=other_tenant, name="Untouched")
        with tenant_scope(tenant), connection.cursor() as cursor:
            cursor.execute("UPDATE affiliates_affiliate SET name = 'Hijacked'")
            assert cursor.rowcount == 0
        with tenant_scope(other_tenant):
            assert Affiliate.objects.get().name == "Untouched"

    def test_no_tenant_set_sees_no_rows(self, tenant):
        AffiliateFactory(tenant=tenant)
        assert _raw_affiliate_emails() == set()

    def test_setting_is_transaction_local(self, tenant):
        AffiliateFactory(tenant=tenant)
        with tenant_scope(tenant):
            assert len(_raw_affiliate_emails()) == 1
        # leaving the scope resets the open transaction's setting
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.tenant_id', true)")
            assert cursor.fetchone()[0] in ("", None)

    def test_app_role_is_neither_superuser_nor_bypassrls(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            assert cursor.fetchone() == (False, False)

    def test_every_table_with_tenant_id_has_forced_rls_and_policy(self):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       EXISTS (SELECT 1 FROM pg_policies p
                               WHERE p.tablename = c.relname AND p.policyname = 'tenant_isolation')
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                """
            )
            rows = cursor.fetchall()
        assert rows, "no tenant-owned tables found"
        missing = [
            name
            for name, enabled, forced, policy in rows
            if not (enabled and forced and policy) and name not in PLATFORM_TABLES
        ]
        assert missing == [], f"tables without tenant RLS (use EnableTenantRLS): {missing}"

    def test_every_tenant_owned_model_has_a_tenant_id_table(self):
        from django.apps import apps

        models = [
            m for m in apps.get_models() if issubclass(m, TenantScopedModel) and not m._meta.proxy
        ]
        assert len(models) >= 5
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(
                    "SELECT 1 FROM information_schema.columns"
                    " WHERE table_name = %s AND column_name = 'tenant_id'",
                    [model._meta.db_table],
                )
                assert cursor.fetchone(), model
