"""Partner API routes of reports and settlements (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.settlements import DailyReportApi, StatementDetailApi, StatementListApi

urlpatterns: list[URLPattern] = [
    path("v1/reports/daily", DailyReportApi.as_view(), name="reports-daily"),
    path("v1/settlements", StatementListApi.as_view(), name="settlements"),
    path("v1/settlements/<int:pk>", StatementDetailApi.as_view(), name="settlement-detail"),
]
