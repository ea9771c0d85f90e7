"""Portal URLs. Each area keeps its routes in ``apps/portal/routes/<area>.py`` and its views in
``apps/portal/views/<area>.py`` (templates in ``templates/portal/<area>/``)."""

from django.urls import path

from apps.portal import home
from apps.portal.routes import bonus, disputes, integrations, merchant, money, webmaster

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    *webmaster.urlpatterns,
    *merchant.urlpatterns,
    *money.urlpatterns,
    *bonus.urlpatterns,
    *disputes.urlpatterns,
    *integrations.urlpatterns,
]
