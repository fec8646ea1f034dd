from django.urls import path

from . import views

app_name = "lado"
urlpatterns = [
    path("", views.tray, name="tray"),
    path("log/", views.log_enquiry, name="log"),
    path("consultations/", views.consultations, name="consultations"),
    path("consultations/new/", views.log_consultation, name="log-consultation"),
    path("retention/", views.retention_review, name="retention-review"),
    path("retention/destroyed/", views.destruction_log, name="destruction-log"),
    path("access-log/", views.reads_by_user, name="reads-by-user"),
    path("alerts/", views.opened_alerts, name="alerts"),
    path("retention/rules/", views.retention_rules_page, name="retention-rules"),
    path("retention/rules/<int:rule_id>/", views.retention_rule_edit, name="retention-rule"),
    path("retention/categories/<int:category_id>/", views.category_retention_edit, name="category-retention"),
    path("team/", views.do_team, name="do-team"),
    path("team/access-review/", views.access_review, name="access-review"),
    path("team/system-accounts/<int:account_id>/", views.system_account_do_reading, name="system-account"),
    path("team/<int:user_id>/<slug:role>/remove/", views.role_remove, name="role-remove"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/access-log/", views.access_log, name="access-log"),
    path("<int:pk>/actions/<int:action_pk>/", views.action_update, name="action-update"),
    *[
        path(f"<int:pk>/{segment}/", views.enquiry_form, {"form_slug": slug}, name=slug)
        for slug, segment in [
            ("edit", "edit"), ("decide", "decide"), ("meeting", "meetings/new"), ("action", "actions/new"),
            ("conclude", "conclude"), ("conclude-without-meeting", "conclude-without-meeting"), ("cancel", "cancel"), ("legal-hold", "legal-hold"), ("delay", "delay"),
            ("retention", "retention"), ("destroy", "destroy"),
        ]
    ],
]
