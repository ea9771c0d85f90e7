"""Portal routes of the money area (included by apps/portal/urls.py)."""

from django.urls import URLPattern, path

from apps.portal.views import money as views

urlpatterns: list[URLPattern] = [
    path("webmaster/earnings/", views.earnings, name="webmaster-earnings"),
    path("webmaster/earnings.csv", views.earnings_csv, name="webmaster-earnings-csv"),
    path("webmaster/weights/", views.weights, name="webmaster-weights"),
    path("webmaster/statements/", views.statements, name="webmaster-statements"),
    path("webmaster/statements/<int:pk>/", views.statement_detail, name="webmaster-statement"),
    path(
        "webmaster/statements/<int:pk>/print/",
        views.statement_print,
        name="webmaster-statement-print",
    ),
]
