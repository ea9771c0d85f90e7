from django.apps import AppConfig
from django.db.backends.signals import connection_created


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants and people"

    def ready(self) -> None:
        from apps.core.display import set_tenant_lookup
        from apps.tenants import rls
        from apps.tenants.scope import current_tenant_or_none

        connection_created.connect(rls.install, dispatch_uid="alliance_rls_install")
        # Figures shown to people carry the active tenant's currency and zone (issue 14).
        set_tenant_lookup(current_tenant_or_none)
