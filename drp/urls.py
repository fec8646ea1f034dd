from django.urls import path

from . import inbox_views, views

app_name = "drp"
urlpatterns = [
    path("", views.drp_list, name="list"),
    path("raise/", views.drp_raise, name="raise"),
    path("raise/choose-child/", views.choose_child, name="choose-child"),
    path("awaiting-my-response/", inbox_views.awaiting_response, name="awaiting-response"),
    path("cover/", inbox_views.cover, name="cover"),
    path("cover/<int:pk>/end/", inbox_views.end_cover, name="end-cover"),
    path("needs-my-action/", inbox_views.needs_my_action, name="needs-my-action"),
    path("<int:pk>/", views.drp_detail, name="detail"),
    path("<int:pk>/actions/", views.drp_agree_action, name="agree-action"),
    path("<int:pk>/actions/<int:action_pk>/record/", views.drp_record_action, name="record-action"),
    path("<int:pk>/summary/", views.drp_summary, name="summary"),
    path("<int:pk>/print/", views.drp_print, name="print"),
    path("<int:pk>/<slug:transition>/", views.drp_transition, name="transition"),
]
