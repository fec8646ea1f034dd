"""Health checks for load balancers and the load test's ceiling.

Both are open without signing in (a load balancer has no account) and say nothing about
cases or people. ``healthz`` touches no database, so it is the cheapest request a Django
worker can answer: the load test runs it as the ceiling against which the real pages are
compared. ``healthz_ready`` also asks the database, so a web node that cannot reach
PostgreSQL is taken out of rotation instead of serving errors.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Liveness: the process is up and answering. No database query."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def healthz_ready(request):
    """Readiness: the database answers ``SELECT 1``; 503 if it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
