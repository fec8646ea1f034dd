from django.urls import path

from . import views

app_name = "children"
urlpatterns = [
    path("", views.child_list, name="list"),
    path("search/", views.child_search, name="search"),
    path("<int:pk>/", views.child_detail, name="detail"),
]
