from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"
    default = True


class AllianceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the tenant back office as the default ``admin.site``."""

    default = False
    default_site = "apps.core.admin_site.TenantAdminSite"
