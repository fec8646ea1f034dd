from django.urls import path

from . import api

urlpatterns = [
    path("imports/", api.ImportView.as_view(), name="imports"),
    path("imports/jobs/<int:job_id>/", api.ImportJobView.as_view(), name="import-job"),
    path("imports/jobs/<int:job_id>/retry/", api.ImportJobRetryView.as_view(), name="import-job-retry"),
]
