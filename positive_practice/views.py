import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render

from children.selectors import children_visible_to
from drp.selectors import drps_visible_to
from workflows.audit import record_read
from workflows.exports import safe_cell

from . import access, services
from .filters import PositivePracticeFilter
from .forms import RecordForm
from .selectors import positive_practice_for, positive_practice_visible_to, with_list_data


def _require_reader(user):
    if not access.can_read_positive_practice(user):
        raise PermissionDenied("Positive practice is for the reviewing team, social care and complaints.")


def positive_practice_list(request):
    """All positive practice the person may see, with filters and a CSV export."""
    _require_reader(request.user)
    filterset = PositivePracticeFilter(request.GET, queryset=with_list_data(
        positive_practice_visible_to(request.user)).order_by("-recorded_on", "-id"))
    if request.GET.get("format") == "csv":
        return _csv(filterset.qs)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "positive_practice/list.html", {
        "filterset": filterset, "page": page,
        "can_record": access.can_record_positive_practice(request.user),
    })


class _Echo:
    def write(self, value):
        return value


def _csv(qs):
    writer = csv.writer(_Echo())
    header = ["reference", "recorded_on", "case_type", "children", "recognised", "team",
              "what_happened", "impact", "drp", "recorded_by"]

    def rows():
        yield writer.writerow(header)
        for pp in qs:
            yield writer.writerow([safe_cell(value) for value in [
                pp.reference, pp.recorded_on.isoformat(), pp.case_type,
                "; ".join(c.reference for c in pp.children.all()), pp.recognised,
                pp.team.name if pp.team else "", pp.what_happened, pp.impact,
                pp.drp.reference if pp.drp else "", str(pp.recorded_by)]])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="positive-practice.csv"'
    return response


def positive_practice_record(request):
    if not access.can_record_positive_practice(request.user):
        raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers record positive practice.")
    children_qs = children_visible_to(request.user)
    drps_qs = drps_visible_to(request.user)
    if request.method == "POST":
        form = RecordForm(request.POST, children_qs=children_qs, drps_qs=drps_qs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pp = services.positive_practice_record(
                    actor=request.user, children=data["children"], case_type=data["case_type"],
                    what_happened=data["what_happened"], impact=data["impact"],
                    practitioner=data["practitioner"], team=data["team"],
                    practitioner_name=data["practitioner_name"], drp=data["drp"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                told = [str(notification.recipient) for notification in pp.told]
                messages.success(request, f"{pp.reference} recorded" + (
                    f": {', '.join(told[:-1])} and {told[-1]} have been told" if len(told) > 1
                    else f": {told[0]} has been told" if told else ""))
                return redirect("positive_practice:detail", pk=pp.pk)
    else:
        initial = {}
        child_id = request.GET.get("child", "")
        child = children_qs.filter(pk=child_id).first() if child_id.isdigit() else None
        if child:
            initial = {"children": child.reference, "case_type": child.case_type}
        form = RecordForm(initial=initial, children_qs=children_qs, drps_qs=drps_qs)
    return render(request, "positive_practice/record.html", {"form": form})


def positive_practice_detail(request, pk):
    _require_reader(request.user)
    pp = positive_practice_for(request.user, pk)
    record_read(request.user, pp, "positive_practice:detail")
    return render(request, "positive_practice/detail.html", {
        "pp": pp,
        "timeline": [{"event": e, "from_state": "", "to_state": ""} for e in reversed(pp.timeline.all())],
    })
