from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from workflows.database import keep_count

        from .kept_counts import CASE_COUNTS, TEAM_COUNTS, THEME_COUNTS

        for count in (THEME_COUNTS, TEAM_COUNTS, CASE_COUNTS):
            keep_count(count)
