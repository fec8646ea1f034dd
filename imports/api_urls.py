from django.urls import path

from . import api

urlpatterns = [
    path("imports/", api.ImportView.as_view(), name="imports"),
]
