"""The product's tenant URLs plus the benchmark baseline, served by the same process."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/baseline/<str:code>", views.baseline_click, name="bench-baseline"),
    *product_urlpatterns,
]
