from django.urls import path

from . import document_views, views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("annual/", views.annual, name="annual"),
    path("annual/document/", document_views.annual_document, name="document"),
    path("annual/document/commentary/<slug:section_key>/", document_views.commentary, name="commentary"),
    path("monthly/", views.monthly, name="monthly"),
    path("learning/", views.learning, name="learning"),
    path("drp-indicators/", views.drp_indicators, name="drp-indicators"),
    path("do-indicators/", views.do_indicators_page, name="do-indicators"),
    path("benchmark/", views.benchmark_page, name="benchmark"),
    path("mine/", views.mine, name="mine"),
]
