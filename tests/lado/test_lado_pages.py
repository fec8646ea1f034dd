"""The Designated Officer pages: the work tray, logging an enquiry fast, the case page with its
clocks and timeline, the decision and outcome forms with their statutory definitions, meetings,
actions, retention and destruction; refusals are shown, typed text is kept; constant queries."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lado import services
from lado.models import Action, Category, DestructionLog, Enquiry, Sector, SettingType
from tests.support.auth import login
from tests.support.lado_fixtures import at, concluded, in_progress, log, meet
from workflows.clocks import as_of, due_words, today

pytestmark = pytest.mark.django_db


def date_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def test_the_tray_lists_open_cases_soonest_due_first_with_rag(org, client):
    with as_of(today() - timedelta(days=60)):
        old = log(org, received_at=at(today()))
    new = log(org, subject_name="Newer Person")
    cancelled = services.enquiry_cancel(enquiry=log(org, subject_name="Gone Person"),
                                        actor=org.designated_officer, reason="x")
    page = login(client, org.designated_officer).get("/lado/").content.decode()
    assert page.index(old.reference) < page.index(new.reference)
    assert cancelled.reference not in page
    assert "govuk-tag--red" in page and "Overdue" in page  # the old decision is overdue
    assert "Threshold decision" in page
    closed = client.get("/lado/?closed=1").content.decode()
    assert cancelled.reference in closed and new.reference not in closed
    found = client.get("/lado/?q=newer").content.decode()
    assert new.reference in found and old.reference not in found
    assert login(client, org.do_manager).get("/lado/?mine=1").content.decode().count("DO-0000") == 0


def test_log_an_enquiry_with_only_the_summary(org, client):
    login(client, org.designated_officer)
    form = client.get("/lado/log/").content.decode()
    now = timezone.localtime()
    assert f'value="{now:%H:%M}"' in form or 'name="received_time"' in form
    assert 'value="phone"' in form and "checked" in form
    response = client.post("/lado/log/", {
        **date_fields("received_on", today()), "received_time": "9:05", "how": "phone",
        "summary": "Caller says a swimming coach messages children on social media.",
    })
    enquiry = Enquiry.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lado/{enquiry.pk}/"
    assert timezone.localtime(enquiry.received_at).strftime("%H:%M") == "09:05"
    assert enquiry.subject_name == "" and enquiry.officer == org.designated_officer
    page = client.get(response["Location"]).content.decode()
    assert f"{enquiry.reference} logged" in page and "swimming coach" in page


def test_log_with_every_detail_and_linked_children(org, client):
    login(client, org.do_manager)
    response = client.post("/lado/log/", {
        **date_fields("received_on", today()), "received_time": "2:30pm", "how": "email",
        "referrer_name": "Jane Head", "referrer_organisation": "St Mary's", "referral_source": "education",
        "summary": "Bruise on arm", "category": "physical", "subject_name": "Robert Miles",
        **date_fields("subject_date_of_birth", date(1980, 5, 17)), "subject_role": "TA",
        "subject_employer": "St Mary's", "employment_basis": "agency", "sector": "public",
        "setting": "education", "children": "c000001, C000002", "children_description": "and a Year 6 pupil",
        "officer": org.designated_officer.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry = Enquiry.objects.get()
    assert (enquiry.how, enquiry.category.slug, enquiry.employment_basis.slug, enquiry.officer) == (
        "email", "physical", "agency", org.designated_officer)
    assert timezone.localtime(enquiry.received_at).strftime("%H:%M") == "14:30"
    assert set(enquiry.children.all()) == {org.child, org.sibling}


def test_log_form_errors_name_the_field_and_keep_the_text(org, client):
    login(client, org.designated_officer)
    response = client.post("/lado/log/", {
        **date_fields("received_on", today() + timedelta(days=3)), "received_time": "25:99", "how": "phone",
        "summary": "", "subject_name": "Kept Name", "children": "NOPE1",
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    for message in ["Summarise the concern", "Date received must be today or in the past",
                    "Enter a real time", "No child found with case reference NOPE1"]:
        assert message in page, message
    assert 'value="Kept Name"' in page
    assert not Enquiry.objects.exists()


def test_logging_a_known_subject_warns_of_earlier_enquiries(org, client):
    first = log(org, received_at=at(today() - timedelta(days=1)))
    login(client, org.designated_officer)
    response = client.post("/lado/log/", {
        **date_fields("received_on", today()), "received_time": "10:00", "how": "phone", "summary": "Again",
        "subject_name": "ROBERT MILES", "subject_employer": "st mary's primary",
    }, follow=True)
    page = response.content.decode()
    assert f"ROBERT MILES appears in 1 other enquiry: {first.reference}" in page
    assert "appears in 1 earlier enquiry" in page
    assert f'href="/lado/{first.pk}/"' in page


def test_details_are_edited_through_the_page_keeping_what_is_unchanged(org, client):
    enquiry = log(org, children=[org.child])
    login(client, org.designated_officer)
    form = client.get(f"/lado/{enquiry.pk}/edit/").content.decode()
    assert 'value="Robert Miles"' in form and 'value="C000001"' in form
    received = timezone.localtime(enquiry.received_at)
    response = client.post(f"/lado/{enquiry.pk}/edit/", {
        **date_fields("received_on", received.date()), "received_time": received.strftime("%H:%M"),
        "how": "phone", "summary": enquiry.summary, "category": "physical", "subject_name": "Robert Miles",
        **date_fields("subject_date_of_birth", date(1980, 5, 17)), "subject_role": "Teaching assistant",
        "subject_employer": "Oakfield Academy", "employment_basis": "permanent", "sector": "public",
        "setting": "education", "referral_source": "education", "referrer_name": "Jane Head",
        "referrer_organisation": "St Mary's Primary", "children": "C000001, C000002",
        "officer": org.designated_officer.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry.refresh_from_db()
    assert enquiry.subject_employer == "Oakfield Academy" and enquiry.children.count() == 2
    assert enquiry.timeline.last().note == "Changed: subject employer, children."


def test_the_case_page_shows_details_clocks_actions_and_timeline(org, client):
    enquiry = in_progress(org, children=[org.child])
    services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="police-investigation",
                                owner_name="DS Lee", owner_agency="Police", due_on=today() + timedelta(days=2))
    page = login(client, org.designated_officer).get(f"/lado/{enquiry.pk}/").content.decode()
    for text in [enquiry.reference, "In progress", "Robert Miles", "Teaching assistant", "Amy Example",
                 "Harmed a child", "Police investigation", "DS Lee, Police", due_words(today() + timedelta(days=2)), "moj-timeline",
                 "Threshold met", "1 month target", "12 months target", "Record a meeting", "Conclude the enquiry",
                 "Cancel the enquiry"]:
        assert text in page, text
    assert "Destroy the enquiry" not in page and "Who has read this enquiry" not in page
    assert 'class="moj-timeline__title">Action recorded</h3>' in page
    assert 'class="moj-timeline__title">Enquiry logged at Awaiting threshold decision</h3>' in page
    manager_page = login(client, org.do_manager).get(f"/lado/{enquiry.pk}/").content.decode()
    assert "Who has read this enquiry" in manager_page


def test_the_decision_form_shows_the_harm_test_and_records_it(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    form = client.get(f"/lado/{enquiry.pk}/decide/").content.decode()
    for hint in Enquiry.CRITERION_HINTS.values():
        assert hint.replace("'", "&#x27;") in form, hint
    assert "govuk-checkboxes__hint" in form or "govuk-hint" in form
    response = client.post(f"/lado/{enquiry.pk}/decide/", {"threshold_met": "yes", "rationale": "Because"})
    assert response.status_code == 400
    assert "at least one harm test criterion" in response.content.decode()
    response = client.post(f"/lado/{enquiry.pk}/decide/", {"threshold_met": "yes", "criteria": ["harmed",
                                                                                                "unsuitable"],
                                                            "rationale": "Bruise"})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "awaiting_meeting" and enquiry.criteria == ["harmed", "unsuitable"]


def test_threshold_not_met_through_the_page(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    response = client.post(f"/lado/{enquiry.pk}/decide/", {"threshold_met": "no", "rationale": "Accident",
                                                            "advice": "Use the behaviour policy"})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.advice) == ("advice_given", "Use the behaviour policy")


def test_the_outcome_form_shows_the_kcsie_definitions(org, client):
    enquiry = in_progress(org)
    login(client, org.designated_officer)
    form = client.get(f"/lado/{enquiry.pk}/conclude/").content.decode()
    for hint in Enquiry.OUTCOME_HINTS.values():
        assert hint in form, hint
    response = client.post(f"/lado/{enquiry.pk}/conclude/", {"outcome": "unfounded",
                                                              **date_fields("concluded_on", today())})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.outcome) == ("concluded", "unfounded")
    page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    assert "Met" in page and Enquiry.OUTCOME_HINTS["unfounded"] in page


def test_meetings_and_actions_through_the_pages(org, client):
    enquiry = meet(org, log(org))
    login(client, org.designated_officer)
    form = client.get(f"/lado/{enquiry.pk}/meetings/new/").content.decode()
    assert 'value="initial"' in form
    response = client.post(f"/lado/{enquiry.pk}/meetings/new/", {
        "kind": "initial", **date_fields("held_on", today()), "attendees": "Anita Kaur, DO\nDS Lee, Police",
        "decisions": "Police to investigate", **date_fields("next_review_on", today() + timedelta(days=20)),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    enquiry.refresh_from_db()
    assert enquiry.status == "in_progress" and enquiry.next_review_on == today() + timedelta(days=20)
    response = client.post(f"/lado/{enquiry.pk}/actions/new/", {
        "kind": "regulator-referral", "regulator": "ofsted", "owner_name": "Jane Head",
        **date_fields("due_on", today() + timedelta(days=7)),
    })
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.regulator, action.due_on) == ("ofsted", today() + timedelta(days=7))
    response = client.post(f"/lado/{enquiry.pk}/actions/new/", {"kind": "regulator-referral",
                                                                 "owner_name": "Jane Head"})
    assert response.status_code == 400 and "Choose the regulator referred to" in response.content.decode()
    due = today() + timedelta(days=7)
    form = client.get(f"/lado/{enquiry.pk}/actions/{action.pk}/").content.decode()
    assert f'name="due_on_0" value="{due.day}"' in form.replace("\n", " ").replace("  ", " ") or \
        f'value="{due.day}"' in form
    response = client.post(f"/lado/{enquiry.pk}/actions/{action.pk}/", {**date_fields("done_on", today())})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_on == today()


def test_a_refused_move_is_shown_not_ignored(org, client):
    enquiry = concluded(org, "false")
    login(client, org.designated_officer)
    response = client.post(f"/lado/{enquiry.pk}/decide/", {"threshold_met": "yes", "criteria": ["harmed"],
                                                            "rationale": "x"})
    assert response.status_code == 409
    assert "This action is not allowed" in response.content.decode()
    assert "concluded" in response.content.decode()
    page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    assert "Record the threshold decision" not in page and "Record a meeting" not in page


def test_cancel_and_legal_hold_through_the_pages(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    assert client.post(f"/lado/{enquiry.pk}/cancel/", {"reason": ""}).status_code == 400
    assert client.post(f"/lado/{enquiry.pk}/cancel/", {"reason": "Withdrawn by the school"}).status_code == 302
    assert client.post(f"/lado/{enquiry.pk}/legal-hold/", {"reason": "Inquiry"}).status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "cancelled" and enquiry.legal_hold
    assert "Legal hold" in client.get(f"/lado/{enquiry.pk}/").content.decode()
    assert client.post(f"/lado/{enquiry.pk}/legal-hold/", {"reason": "Done"}).status_code == 403  # DO only places


def test_retention_review_and_destruction_through_the_pages(org, client):
    enquiry = concluded(org, "malicious", on=date(2024, 1, 8))
    held = concluded(org, "false", on=date(2024, 1, 8))
    services.enquiry_set_legal_hold(enquiry=held, actor=org.do_manager, reason="Court order")
    login(client, org.do_manager)
    page = client.get("/lado/retention/").content.decode()
    assert enquiry.reference in page and held.reference in page and "Court order" in page
    form = client.get(f"/lado/{held.pk}/destroy/").content.decode()
    assert "is on legal hold, so it cannot be destroyed" in form and 'name="reason"' not in form
    response = client.post(f"/lado/{enquiry.pk}/destroy/", {"reason": "Retention ended"})
    assert response.status_code == 400 and "Confirm that the enquiry will be permanently removed" in \
        response.content.decode()
    response = client.post(f"/lado/{enquiry.pk}/destroy/", {"reason": "Retention ended", "confirm": "on"},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/lado/retention/"
    assert f"{enquiry.reference} destroyed" in response.content.decode()
    assert not Enquiry.objects.filter(pk=enquiry.pk).exists()
    log_page = client.get("/lado/retention/destroyed/").content.decode()
    assert enquiry.reference in log_page and "Retention ended" in log_page and "Malicious" in log_page
    assert DestructionLog.objects.count() == 1
    response = client.post(f"/lado/{held.pk}/retention/", {**date_fields("review_on", today() + timedelta(days=90)),
                                                           "reason": "Court order"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.retention_review_on == today() + timedelta(days=90)


def _bulk(org, n):
    cat, sector, setting = Category.objects.first(), Sector.objects.first(), SettingType.objects.first()
    received = timezone.make_aware(timezone.datetime(2025, 3, 3, 10))
    Enquiry.objects.bulk_create([
        Enquiry(reference=f"B-{i}", received_at=received, received_on=date(2025, 3, 3), subject_name=f"P {i}",
                category=cat, sector=sector, setting=setting, summary="x", officer=org.designated_officer,
                logged_by=org.designated_officer, decision_due=date(2025, 3, 4), target_1_due=date(2025, 4, 3),
                target_2_due=date(2025, 6, 3), target_3_due=date(2026, 3, 3),
                status=Enquiry.Status.IN_PROGRESS if i % 2 else Enquiry.Status.AWAITING_DECISION)
        for i in range(n)])
    made = list(Enquiry.objects.filter(reference__startswith="B-"))
    Action.objects.bulk_create([Action(enquiry=e, kind="suspension", owner_name="x", due_on=date(2025, 3, 20),
                                       recorded_by=org.designated_officer) for e in made])


@pytest.mark.parametrize("n", [10, 1000])
def test_the_tray_uses_a_constant_number_of_queries(org, client, n, django_assert_max_num_queries):
    _bulk(org, n)
    login(client, org.designated_officer)
    with django_assert_max_num_queries(12):
        response = client.get("/lado/")
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/lado/?closed=1").status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_the_case_page_uses_a_constant_number_of_queries(org, client, n, django_assert_max_num_queries):
    _bulk(org, n)
    enquiry = in_progress(org, children=[org.child, org.sibling])
    for kind in ("suspension", "risk-assessment", "dbs-referral"):
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind=kind, owner_name="x",
                                    due_on=today() + timedelta(days=3))
    login(client, org.do_manager)
    # 18 includes renewing the session's idle expiry (SAVEPOINT, UPDATE, RELEASE) every request.
    with django_assert_max_num_queries(18):
        assert client.get(f"/lado/{enquiry.pk}/").status_code == 200
