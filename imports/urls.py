from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("templates/<str:kind>.csv", views.template, name="template"),
    path("templates/<str:kind>.xlsx", views.template, {"extension": "xlsx"}, name="template-xlsx"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="job-retry"),
    path("jobs/<int:job_id>/confirm/", views.job_confirm, name="job-confirm"),
]
