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
    if user.has_role(*roles.READ_ALL_DRPS, *roles.SOCIAL_CARE, *roles.DO_TEAM):
        items.append(("Children", reverse("children:list")))
    path = request.path
    return {
        "nav_items": [
            {"text": text, "href": href, "active": path == href or (href != "/" and path.startswith(href))}
            for text, href in items
        ]
    }
