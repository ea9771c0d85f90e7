from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "apps.sites"
    # "sites" is django.contrib.sites' label; ours are the webmasters' web sites.
    label = "websites"
    verbose_name = "Sites and placements"

    def ready(self) -> None:
        from apps.core.imports import register_export, register_import

        # The affiliates import writes webmasters, sites, placements and contracts: it lives
        # here because apps.affiliates may not import apps.sites (import order, STYLE.md 1).
        register_import("affiliates", "apps.sites.resources.AffiliateImport")
        register_export("affiliates", "apps.sites.resources.AffiliateExport")
