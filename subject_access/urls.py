from django.urls import path

from . import views

app_name = "subject_access"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("start/", views.request_start, name="start"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/redactions/", views.request_redactions, name="redactions"),
    path("<int:pk>/decision/", views.request_decision, name="decision"),
    path("<int:pk>/download/", views.request_download, name="download"),
]
