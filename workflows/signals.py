from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .calendar import calendar_changed, clear_calendar_cache
from .models import ClosureDay


@receiver([post_save, post_delete], sender=ClosureDay)
def closure_days_changed(**kwargs):
    """Forget the cached closure days now, and again once the change is committed, so a
    read between the save and the commit cannot keep the old list."""
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)


@receiver(pre_save, sender=ClosureDay)
def _remember_the_old_date(sender, instance, **kwargs):
    instance._previous_date = (ClosureDay.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
                               if instance.pk else None)


@receiver(post_save, sender=ClosureDay)
def _closure_day_saved(sender, instance, created, **kwargs):
    """A new closure day, or one moved to another date: tell the apps (``calendar_changed``)."""
    actor = getattr(instance, "_changed_by", None)
    previous = getattr(instance, "_previous_date", None)
    if previous and previous != instance.date:
        calendar_changed.send(sender=ClosureDay, day=previous, closed=False,
                              description=instance.description, actor=actor)
    if created or previous != instance.date:
        calendar_changed.send(sender=ClosureDay, day=instance.date, closed=True,
                              description=instance.description, actor=actor)


@receiver(post_delete, sender=ClosureDay)
def _closure_day_removed(sender, instance, **kwargs):
    calendar_changed.send(sender=ClosureDay, day=instance.date, closed=False,
                          description=instance.description, actor=getattr(instance, "_changed_by", None))
