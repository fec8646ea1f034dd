"""The Celery app. With no CELERY_BROKER_URL, tasks run eagerly in-process (the demo)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("footprint")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
