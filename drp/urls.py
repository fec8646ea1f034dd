from django.urls import path

from . import views

app_name = "drp"
urlpatterns = [
    path("", views.drp_list, name="list"),
    path("raise/", views.drp_raise, name="raise"),
    path("raise/choose-child/", views.choose_child, name="choose-child"),
    path("awaiting-my-response/", views.awaiting_response, name="awaiting-response"),
    path("needs-my-action/", views.needs_my_action, name="needs-my-action"),
    path("<int:pk>/", views.drp_detail, name="detail"),
    path("<int:pk>/<slug:transition>/", views.drp_transition, name="transition"),
]
