from django.apps import AppConfig


class LadoConfig(AppConfig):
    """Designated Officer (formerly LADO) casework: allegations against people who work with children."""

    name = "lado"
    verbose_name = "Designated Officer"

    def ready(self):
        from imports.registry import register
        from workflows.calendar import calendar_changed
        from workflows.database import keep_count

        from .importer import KIND
        from .kept_counts import ENQUIRY_COUNTS
        from .reminders import register_deadlines

        register_deadlines()
        register(KIND)
        keep_count(ENQUIRY_COUNTS)
        calendar_changed.connect(_recount_deadlines, dispatch_uid="lado-recount-deadlines")


def _recount_deadlines(sender, day, closed, description="", actor=None, **kwargs):
    from .services import enquiries_recount_after_calendar_change

    enquiries_recount_after_calendar_change(day=day, closed=closed, description=description, actor=actor)
