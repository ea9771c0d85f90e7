"""Public tracking endpoints (no login): /c/, /serve/, /ad.js, /px/. See API.md "Tracking"."""

from django.urls import URLPattern, path

from apps.tracking import views, views_conversions

app_name = "tracking"

urlpatterns: list[URLPattern] = [
    path("c/<str:code>", views.click, name="click"),
    path("serve/<str:code>", views.serve, name="serve"),
    path("ad.js", views.ad_js, name="ad-js"),
    path("px/land", views.land, name="land"),
    path("px/imp", views.impression_rendered, name="impression"),
    path("px/conv", views_conversions.conversion_pixel, name="conversion-pixel"),
    path("postback", views_conversions.conversion_postback, name="conversion-postback"),
]
