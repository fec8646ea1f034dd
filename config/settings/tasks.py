"""Celery, the broker and email delivery: how work leaves a request, and how it survives a
frozen broker or a killed worker (docs/deployment.md, "Faults and the delivery guarantee").
Read by ``base``."""

import os

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Faults (docs/deployment.md, "Faults and the delivery guarantee"). Workers and beat wait at
# most this long for the broker to connect or answer, instead of forever on a frozen Redis.
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", "2"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task a worker took and never acknowledged (the worker was killed) goes back on the queue
    # after this long. Longer than any task runs plus the longest retry countdown (600 s), or
    # Redis would hand a task still waiting for its retry to a second worker.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "900")),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # More than the 1 s a worker's BRPOP waits for a task.
    "socket_timeout": float(os.environ.get("CELERY_BROKER_TIMEOUT", "5")),
    "socket_keepalive": True,
}
# A task is acknowledged once it has run, not when it starts, so a worker killed mid-task
# leaves it to run again (every task is safe to run twice: emails are claimed, reminders and
# the monthly report logged, imports claimed); a pool process that dies hands its task back
# at once. One task at a time per process, so a dying worker holds few.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A web request (or a task) that queues a task after its change has committed waits at most
# this long for the broker, once: no retries. After a failure the process stops asking the
# broker for FOOTPRINT_BROKER_PAUSE_SECONDS; what it could not queue waits in the database for
# beat's queue_pending_emails (workflows/broker.py).
FOOTPRINT_BROKER_REQUEST_TIMEOUT = float(os.environ.get("FOOTPRINT_BROKER_REQUEST_TIMEOUT", "0.5"))
FOOTPRINT_BROKER_PAUSE_SECONDS = float(os.environ.get("FOOTPRINT_BROKER_PAUSE_SECONDS", "30"))
# Emails: a sender claims a notification for this long before it emails it, so a second
# sender never sends it meanwhile; a sender that dies leaves it to be sent again once the
# claim runs out. Much longer than EMAIL_TIMEOUT, the mail server's socket timeout.
FOOTPRINT_EMAIL_LEASE_SECONDS = int(os.environ.get("FOOTPRINT_EMAIL_LEASE_SECONDS", "300"))
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# An immediate email still unsent (and unclaimed) this long after its notification was
# written is queued again by beat's queue_pending_emails (every 2 minutes).
FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS = int(os.environ.get("FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS", "120"))
