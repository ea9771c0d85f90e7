from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "apps.sites"
    # "sites" is django.contrib.sites' label; ours are the webmasters' web sites.
    label = "websites"
    verbose_name = "Sites and placements"
