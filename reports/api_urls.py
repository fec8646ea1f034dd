from django.urls import path

from .api import (
    AnnualReportView,
    BenchmarkView,
    DoIndicatorsView,
    DrpIndicatorsView,
    LearningReportView,
    MonthlyReportView,
)

urlpatterns = [
    path("annual/", AnnualReportView.as_view(), name="reports-annual"),
    path("monthly/", MonthlyReportView.as_view(), name="reports-monthly"),
    path("learning/", LearningReportView.as_view(), name="reports-learning"),
    path("drp-indicators/", DrpIndicatorsView.as_view(), name="reports-drp-indicators"),
    path("do-indicators/", DoIndicatorsView.as_view(), name="reports-do-indicators"),
    path("benchmark/", BenchmarkView.as_view(), name="reports-benchmark"),
]
