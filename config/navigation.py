"""The service navigation (a context processor) and the home page: what each person sees
first, by the access rules of each app (``<app>/access.py``). Here in ``config`` because the
menu names every app, and ``people`` (which they all build on) may import none of them."""

from django.shortcuts import redirect, render
from django.urls import reverse

from audit.selectors import scopes_for as access_log_scopes
from children.access import can_read_children
from drp.access import answers_drps, can_raise_drp, lists_own_drps_first, reads_every_drp
from drp.selectors import awaiting_response_count, needs_my_action_count
from imports.registry import kinds_for as import_kinds_for
from lado.access import is_do_team
from people import roles
from people.access import holds
from positive_practice.access import can_read_positive_practice
from reports.access import can_read_reports, reads_own_figures
from subject_access.selectors import kinds_for as subject_access_kinds_for
from workflows.clocks import today

#: The numbers beside the navigation's items count this far, then say "99+": the number is a
#: prompt and the page holds the detail; counting a whole caseload would cost every page.
NAV_COUNT_UP_TO = 99


def _badge(count: int | None) -> dict:
    """The number as shown ("99+" past the bound) and, past it, as a screen reader says it."""
    if not count:
        return {"count": None, "spoken": None}
    if count > NAV_COUNT_UP_TO:
        return {"count": f"{NAV_COUNT_UP_TO}+", "spoken": f"more than {NAV_COUNT_UP_TO}"}
    return {"count": str(count), "spoken": None}


def _sees_drp_list_first(user) -> bool:
    """The reviewing team, business support and auditors start at the DRP list (social-care
    staff see DRPs too, but start at what awaits their response)."""
    return reads_every_drp(user)


def navigation(request):
    """Service navigation items for the signed-in person, by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    # What waits on the person, beside the item (one query each), unless the page itself has
    # just counted it (``request.nav_counts``: "Needs my action" and the inbox count the same).
    known = getattr(request, "nav_counts", {})
    counts = {}

    def count(text, counted):
        counts[text] = known[text] if text in known else counted()

    if can_raise_drp(user):
        items.append(("Needs my action", reverse("drp:needs-my-action")))
        count("Needs my action", lambda: needs_my_action_count(user, today(), up_to=NAV_COUNT_UP_TO))
    if _sees_drp_list_first(user):
        items.append(("My DRPs" if lists_own_drps_first(user) else "DRPs", reverse("drp:list")))
    if can_raise_drp(user):
        items.append(("Raise a DRP", reverse("drp:raise")))
    if answers_drps(user):
        items.append(("Awaiting my response", reverse("drp:awaiting-response")))
        count("Awaiting my response", lambda: awaiting_response_count(user, up_to=NAV_COUNT_UP_TO))
    if can_read_positive_practice(user):
        items.append(("Positive practice", reverse("positive_practice:list")))
    if is_do_team(user):
        items.append(("Designated Officer", reverse("lado:tray")))
    if can_read_children(user):
        items.append(("Children", reverse("children:list")))
    if can_read_reports(user):
        items.append(("Reports", reverse("reports:index")))
    elif reads_own_figures(user):
        items.append(("My figures", reverse("reports:mine")))
    if import_kinds_for(user):
        items.append(("Import", reverse("imports:upload")))
    if access_log_scopes(user):
        items.append(("Access log", reverse("audit:access-log")))
    if subject_access_kinds_for(user):
        items.append(("Subject access", reverse("subject_access:list")))
    if holds(user, roles.IRO_MANAGER):
        items.append(("System accounts", reverse("accounts:service-accounts")))
    # Only the longest matching link is the current page (/drps/raise/ is not also /drps/).
    path = request.path
    matches = [href for _, href in items if path == href or (href != "/" and path.startswith(href))]
    current = max(matches, key=len) if matches else None
    return {"nav_items": [{"text": text, "href": href, "active": href == current, **_badge(counts.get(text))}
                          for text, href in items]}


def home(request):
    """Send each person to the page they start their day on."""
    user = request.user
    if can_raise_drp(user) and lists_own_drps_first(user):
        return redirect("drp:needs-my-action")  # an IRO starts with what waits on them
    if _sees_drp_list_first(user):
        return redirect("drp:list")
    if answers_drps(user):
        return redirect("drp:awaiting-response")
    if is_do_team(user):
        return redirect("lado:tray")
    if holds(user, roles.COMPLAINTS):
        return redirect("positive_practice:list")
    return render(request, "home.html")
