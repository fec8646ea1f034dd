from django.urls import path

from . import views

app_name = "positive_practice"
urlpatterns = [
    path("", views.positive_practice_list, name="list"),
    path("record/", views.positive_practice_record, name="record"),
    path("<int:pk>/", views.positive_practice_detail, name="detail"),
]
