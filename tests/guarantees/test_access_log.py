"""The access log viewer: who read or changed which case. IRO Managers see non-DO cases, the DO
Manager sees DO cases, nobody else sees any; filters, exports (formula-safe), constant queries,
and every look at the log is itself logged."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogView
from audit.selectors import LogFilters, log_entries
from config.navigation import navigation
from drp import services as drp_services
from drp.models import Theme
from lado import services as lado_services
from positive_practice import services as pp_services
from workflows.audit import record_read
from workflows.models import CaseRead

from tests.support.auth import login
from tests.support.lado_fixtures import in_progress, log, non_do_users

pytestmark = pytest.mark.django_db
URL = "/audit/"


def raise_drp(org, **kw):
    args = dict(actor=org.iro, children=[org.child], case_type="CLA",
                themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    args.update(kw)
    return drp_services.drp_raise(**args)


@pytest.fixture
def cases(org):
    """A DRP, a positive practice record, a DO case, each read once by someone."""
    drp = raise_drp(org)
    pp = pp_services.positive_practice_record(
        actor=org.iro, children=[org.child], case_type="CLA", what_happened="Weekly visits",
        impact="Felt heard")
    enquiry = log(org, subject_name="Secret Subjectname")
    record_read(org.business_support, drp, "drp:detail")
    record_read(org.complaints, pp, "positive_practice:detail")
    record_read(org.iro, org.child, "children:detail")
    record_read(org.designated_officer, enquiry, "lado:detail")
    return drp, pp, enquiry


def _body(response):
    return response.content.decode()


def test_only_iro_managers_and_the_do_manager_may_open_it(org, client, cases):
    for user in non_do_users(org) + [org.designated_officer]:
        if user == org.iro_manager:
            continue
        login(client, user)
        assert client.get(URL).status_code == 403, user.username
        assert client.get(URL + "?format=csv").status_code == 403, user.username
    for user in (org.iro_manager, org.do_manager):
        login(client, user)
        assert client.get(URL).status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client, org):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_iro_managers_see_reads_and_changes_of_non_do_cases_only(org, client, cases):
    drp, pp, enquiry = cases
    login(client, org.iro_manager)
    body = _body(client.get(URL))
    assert drp.reference in body and pp.reference in body and org.child.reference in body
    assert "drp:detail" in body and "Created" in body
    assert enquiry.reference not in body and "lado:detail" not in body and "DO enquiry" not in body
    # Even when asked by name or reference, DO data stays out.
    refused = client.get(URL + "?kind=lado.enquiry")
    assert refused.status_code == 400 and "lado:detail" not in _body(refused)
    body = _body(client.get(URL + f"?reference={enquiry.reference}"))
    assert "No entries match" in body and "lado:detail" not in body and "Secret" not in body


def test_the_do_manager_sees_do_cases_only_with_meetings_and_actions(org, client):
    enquiry = in_progress(org, subject_name="Secret Subjectname")
    lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="suspension",
                                     owner_name="Head teacher")
    record_read(org.designated_officer, enquiry, "lado:detail")
    drp = raise_drp(org)
    record_read(org.iro, drp, "drp:detail")
    login(client, org.do_manager)
    body = _body(client.get(URL))
    assert enquiry.reference in body and "lado:detail" in body
    assert "Created: meeting" in body and "Created: action" in body and "Changed" in body
    assert drp.reference not in body and "drp:detail" not in body
    assert _body(client.get(URL + "?kind=drp.disputeresolution")).count(drp.reference) == 0


def test_filters(org, client, cases):
    drp, pp, enquiry = cases
    other = raise_drp(org, concern="Another")
    record_read(org.iro, other, "drp:detail")
    # CaseRead is append-only (a database trigger on PostgreSQL): write the old read in the past.
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=40)):
        record_read(org.auditor, drp, "api:drp-detail")
    user = org.iro_manager

    def refs(**kw):
        return [(row["e_event"], row["e_case"], row["e_user"]) for row in log_entries(user, LogFilters(**kw))]

    assert all(u == org.iro.pk for _, _, u in refs(person=org.iro))
    assert {c for _, c, _ in refs(reference=drp.reference.lower())} == {drp.pk}
    assert all(e == "read" for e, _, _ in refs(event="read")) and refs(event="read")
    assert all(e == "changed" for e, _, _ in refs(event="changed")) and refs(event="changed")
    assert {c for _, c, _ in refs(kind="positive_practice.positivepractice")} == {pp.pk}
    today = timezone.localdate()
    recent = refs(date_from=today - timedelta(days=1))
    assert org.auditor.pk not in {u for _, _, u in recent}
    older = refs(date_to=today - timedelta(days=30))
    assert [(e, u) for e, _, u in older] == [("read", org.auditor.pk)]
    assert refs(reference="NO-SUCH-REF") == []
    # Through the page: person by username, dates as GOV.UK date inputs.
    login(client, user)
    body = _body(client.get(URL, {"person": "auditor", "event": "read"}))
    assert "api:drp-detail" in body and "children:detail" not in body
    response = client.get(URL, {"date_from_0": "31", "date_from_1": "2", "date_from_2": "2024"})
    assert response.status_code == 400 and "There is a problem" in _body(response)


def test_csv_export_neutralises_formulae_and_escapes_html(org, client, cases):
    drp, _, _ = cases
    record_read(org.iro, drp, "=cmd|' /C calc'!A0")
    record_read(org.iro, drp, "<script>alert(1)</script>")
    login(client, org.iro_manager)
    response = client.get(URL + "?format=csv&event=read")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["When", "Who", "Username"]
    details = [row[-1] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in details
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    page = _body(client.get(URL + "?event=read"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_xlsx_export(org, client, cases):
    from openpyxl import load_workbook

    drp, _, _ = cases
    record_read(org.iro, drp, "=HYPERLINK(\"http://evil\")")
    login(client, org.iro_manager)
    response = client.get(URL + "?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "When" in values and drp.reference in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_looking_at_the_log_is_logged(org, client, cases):
    login(client, org.iro_manager)
    client.get(URL + "?person=iro&filter=Apply+filters")
    b"".join(client.get(URL + "?format=csv").streaming_content)
    views = list(AccessLogView.objects.order_by("id"))
    assert [(v.user, v.format, v.scopes) for v in views] == [(org.iro_manager, "page", "iro"),
                                                             (org.iro_manager, "csv", "iro")]
    assert views[0].filters["person"] == "iro" and views[0].rows >= 1


def test_a_page_costs_the_same_queries_at_10_and_200_rows(org, client):
    """Two readers, one with 10 reads and one with 200, each mixing two kinds of case: a page of
    either costs the same queries (the log is append-only, so nothing is deleted between runs)."""
    drp = raise_drp(org)
    login(client, org.iro_manager)
    client.get(URL)  # warm caches (content types, sessions)

    def queries_for(reader, n):
        CaseRead.objects.bulk_create([
            CaseRead(user=reader, case_kind="drp.disputeresolution" if i % 3 else "children.child",
                     case_id=drp.pk if i % 3 else org.child.pk, view="drp:detail") for i in range(n)])
        query = f"?event=read&person={reader.username}" + ("&page=2" if n > 50 else "")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL + query)
        assert response.status_code == 200
        assert len(response.context["rows"]) == min(n, 50)
        assert {entry.person for entry in response.context["rows"]} == {reader}
        return len(ctx.captured_queries)

    small, large = queries_for(org.auditor, 10), queries_for(org.business_support, 200)
    assert small == large, (small, large)
    assert large <= 16


def test_menu_item_only_for_the_two_managers(org, rf):
    def items(user):
        request = rf.get("/")
        request.user = user
        return [item["text"] for item in navigation(request)["nav_items"]]

    assert "Access log" in items(org.iro_manager) and "Access log" in items(org.do_manager)
    for user in non_do_users(org) + [org.designated_officer]:
        if user != org.iro_manager:
            assert "Access log" not in items(user), user.username


def test_reverse_names(org):
    assert reverse("audit:access-log") == URL
