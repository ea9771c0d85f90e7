"""Portal routes of the disputes area (included by apps/portal/urls.py)."""

from django.urls import URLPattern, path

from apps.portal.views import disputes as views

urlpatterns: list[URLPattern] = [
    path("merchant/claims/", views.merchant_claims, name="merchant-claims"),
    path("merchant/claims/new/", views.merchant_claim_new, name="merchant-claim-new"),
    path("merchant/claims/<int:pk>/", views.merchant_claim_detail, name="merchant-claim"),
    path("claims/evidence/<int:pk>/", views.claim_evidence_download, name="claim-evidence"),
    path("merchant/disputes/", views.merchant_disputes, name="merchant-disputes"),
    path(
        "merchant/disputes/<int:pk>/decide",
        views.merchant_dispute_decide,
        name="merchant-dispute-decide",
    ),
    path("webmaster/disputes/", views.webmaster_disputes, name="webmaster-disputes"),
]
