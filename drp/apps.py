from django.apps import AppConfig


class DrpConfig(AppConfig):
    name = "drp"
    verbose_name = "Dispute Resolution Procedure"

    def ready(self):
        from imports.registry import register
        from workflows.calendar import calendar_changed

        from .importer import KIND
        from .reminders import register_deadlines

        register_deadlines()
        register(KIND)
        calendar_changed.connect(_recount_deadlines, dispatch_uid="drp-recount-deadlines")


def _recount_deadlines(sender, day, closed, description="", actor=None, **kwargs):
    from .recount import drps_recount_after_calendar_change

    drps_recount_after_calendar_change(day=day, closed=closed, description=description, actor=actor)
