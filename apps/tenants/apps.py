from django.apps import AppConfig
from django.db.backends.signals import connection_created


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants and people"

    def ready(self) -> None:
        from apps.tenants import rls

        connection_created.connect(rls.install, dispatch_uid="alliance_rls_install")
