"""Health checks for load balancers and the load test's ceiling.

Both are open without signing in (a load balancer has no account) and say nothing about
cases or people. ``healthz`` touches no database, so it is the cheapest request a Django
worker can answer: the load test runs it as the ceiling against which the real pages are
compared. ``healthz_ready`` also asks the database, so a web node that cannot reach
PostgreSQL is taken out of rotation instead of serving errors.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

#: The current API version's path; the unversioned /api/ paths redirect to it for one release.
API_VERSION_PREFIX = "/api/v1/"


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


@login_not_required
@csrf_exempt  # it changes nothing: the request is repeated at the new address, checked there
def old_api_address(request, rest):
    """``/api/<rest>`` (the first release's unversioned address) answers 308 Permanent Redirect
    to ``/api/v1/<rest>`` with the query string: a client following it repeats the same method
    and body there (unlike 301/302, which turn a POST into a GET). ``Deprecation`` says the old
    address is going; ``Link`` names its successor. Kept for one release."""
    if rest.startswith("v1/"):
        raise Http404("No such API address.")
    target = API_VERSION_PREFIX + rest
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    response = HttpResponsePermanentRedirect(target, preserve_request=True)
    response["Deprecation"] = "true"
    response["Link"] = f'<{target}>; rel="successor-version"'
    return response
