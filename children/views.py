from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from drp.access import can_raise_drp
from drp.selectors import drps_visible_to, with_list_data
from positive_practice.selectors import positive_practice_visible_to
from positive_practice.selectors import with_list_data as pp_with_list_data
from workflows.audit import record_read

from .selectors import children_visible_to, search


def child_list(request):
    """Find a child by case reference or name."""
    term = request.GET.get("q", "")
    qs = search(children_visible_to(request.user), term).order_by("name", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "children/list.html", {"page": page, "q": term})


def child_detail(request, pk):
    """A child's record: their details and the DRPs about them (their 'footprint')."""
    child = get_object_or_404(children_visible_to(request.user), pk=pk)
    record_read(request.user, child, "children:detail")
    drps = with_list_data(drps_visible_to(request.user).filter(children=child)).order_by("-raised_on", "-id")
    positive_practice = pp_with_list_data(
        positive_practice_visible_to(request.user).filter(children=child)).order_by("-recorded_on", "-id")
    return render(request, "children/detail.html", {
        "child": child,
        "drps": drps,
        "positive_practice": positive_practice,
        "can_raise": can_raise_drp(request.user),
    })
