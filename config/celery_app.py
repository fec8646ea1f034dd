"""The Celery app. With no CELERY_BROKER_URL, tasks run eagerly in-process (the demo)."""

import os

from celery import Celery

# The same default as config/wsgi.py: importing the config package (as `gunicorn config.wsgi`
# does) runs this first, so a local default here would quietly turn DEBUG on in production.
# manage.py sets config.settings.local itself before anything imports this.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("footprint")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
