from django.urls import path

from .api import AnnualReportView, DrpIndicatorsView, LearningReportView, MonthlyReportView

urlpatterns = [
    path("annual/", AnnualReportView.as_view(), name="reports-annual"),
    path("monthly/", MonthlyReportView.as_view(), name="reports-monthly"),
    path("learning/", LearningReportView.as_view(), name="reports-learning"),
    path("drp-indicators/", DrpIndicatorsView.as_view(), name="reports-drp-indicators"),
]
