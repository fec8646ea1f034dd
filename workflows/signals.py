from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .calendar import clear_calendar_cache
from .models import ClosureDay


@receiver([post_save, post_delete], sender=ClosureDay)
def closure_days_changed(**kwargs):
    """Forget the cached closure days now, and again once the change is committed, so a
    read between the save and the commit cannot keep the old list."""
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)
