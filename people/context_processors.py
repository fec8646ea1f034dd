from django.urls import reverse

from . import roles


def navigation(request):
    """Service navigation items for the signed-in person, by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    if user.has_role(*roles.CHALLENGERS, roles.BUSINESS_SUPPORT, roles.AUDITOR):
        items.append(("My DRPs" if user.has_role(*roles.CHALLENGERS) else "DRPs", reverse("drp:list")))
    if user.has_role(*roles.CHALLENGERS):
        items.append(("Raise a DRP", reverse("drp:raise")))
    if user.has_role(*roles.SOCIAL_CARE):
        items.append(("Awaiting my response", reverse("drp:awaiting-response")))
    if user.has_role(*roles.CHALLENGERS, roles.COMPLAINTS, roles.BUSINESS_SUPPORT, roles.AUDITOR,
                     *roles.SOCIAL_CARE):
        items.append(("Positive practice", reverse("positive_practice:list")))
    if user.has_role(*roles.DO_TEAM):
        items.append(("Designated Officer", reverse("lado:tray")))
    if user.has_role(*roles.READ_ALL_DRPS, *roles.SOCIAL_CARE, *roles.DO_TEAM):
        items.append(("Children", reverse("children:list")))
    if user.has_role(roles.IRO_MANAGER, roles.DO_MANAGER, roles.AUDITOR):
        items.append(("Reports", reverse("reports:index")))
    if user.has_role(roles.IRO_MANAGER, roles.DO_MANAGER, roles.BUSINESS_SUPPORT):
        items.append(("Import", reverse("imports:upload")))
    if user.has_role(roles.IRO_MANAGER, roles.DO_MANAGER):
        items.append(("Access log", reverse("audit:access-log")))
        items.append(("Subject access", reverse("subject_access:list")))
    if user.has_role(roles.IRO_MANAGER):
        items.append(("System accounts", reverse("accounts:service-accounts")))
    # Only the longest matching link is the current page (/drps/raise/ is not also /drps/).
    path = request.path
    matches = [href for _, href in items if path == href or (href != "/" and path.startswith(href))]
    current = max(matches, key=len) if matches else None
    return {"nav_items": [{"text": text, "href": href, "active": href == current} for text, href in items]}
