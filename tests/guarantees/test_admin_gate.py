"""The Django admin is no back door to Designated Officer data (issue 10).

Each attack from the issue, reproduced as the superuser ``iro-manager`` (no DO role), and shown
to fail; then the DO Manager's own pages that replace what the admin used to do: giving and
removing DO roles, the yearly access review, retention rules; and the two server commands
(appointing the first DO Manager, removing a lost authenticator)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import ProtectedError
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.utils import bulk_create_with_history

from children.models import Child
from config.admin import HIDDEN_RECORDS
from imports.models import ImportJob
from lado import services
from lado.models import (
    Enquiry,
    RetentionRule,
    RetentionRuleChange,
    RoleChange,
    Sector,
    TimelineEvent,
)
from notifications.models import Notification
from people import roles
from people.admin import HOLDS_DO_ROLE
from people.models import AuthenticatorRemoval, Role
from tests.support.access_matrix import DO_ROLE_CHOICE
from tests.support.admin_gate import slugs
from tests.support.auth import login, totp_device
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import concluded, in_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    return login(client, superuser)


def user_form(user, **changes) -> dict:
    """The admin's change form for ``user`` as the browser would send it back."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on", "date_joined_0": "2025-01-06", "date_joined_1": "09:00:00",
        "roles": list(user.roles.exclude(slug__in=roles.DO_TEAM).values_list("slug", flat=True)),
        "team": user.team_id or "",
    }
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return data


# --- DO roles: never given, taken or hijacked in the admin ---------------------------------------

def test_superuser_cannot_grant_itself_a_do_role_in_the_admin(admin_client, superuser):
    url = f"/admin/people/user/{superuser.pk}/change/"
    form = admin_client.get(url).content.decode()
    assert 'name="roles"' in form and '<option value="iro-manager"' in form
    assert not DO_ROLE_CHOICE.search(form)

    for crafted in ([roles.DO_MANAGER], [roles.IRO_MANAGER, roles.DESIGNATED_OFFICER]):
        response = admin_client.post(url, user_form(superuser, roles=crafted))
        assert response.status_code == 200  # the form again, with the error
        assert "Select a valid choice" in response.content.decode()
        superuser.refresh_from_db()
        assert slugs(superuser) == {roles.IRO_MANAGER}
    assert not RoleChange.objects.exists()


def test_saving_a_do_officer_in_the_admin_neither_removes_nor_adds_do_roles(admin_client, org):
    officer = org.designated_officer
    response = admin_client.post(f"/admin/people/user/{officer.pk}/change/",
                                 user_form(officer, roles=[roles.AUDITOR], first_name="Anita"))
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.first_name == "Anita"
    assert slugs(officer) == {roles.DESIGNATED_OFFICER, roles.AUDITOR}
    admin_client.post(f"/admin/people/user/{officer.pk}/change/", user_form(officer, roles=[]))
    assert slugs(officer) == {roles.DESIGNATED_OFFICER}


def test_the_admin_cannot_filter_people_by_a_do_role(admin_client, org):
    page = admin_client.get("/admin/people/user/").content.decode()
    assert "?role=iro" in page and "role=designated-officer" not in page and "role=do-manager" not in page
    crafted = admin_client.get("/admin/people/user/?role=designated-officer").content.decode()
    assert "designated-officer</a>" not in crafted and "0 users" in crafted
    for crafted in ("roles=do-manager", "roles__slug__exact=do-manager", "roles__in=designated-officer"):
        assert admin_client.get(f"/admin/people/user/?{crafted}").status_code == 400, crafted


def test_superuser_cannot_take_over_a_do_officers_account_in_the_admin(admin_client, org):
    """Setting their password, or their email (their notifications), is refused."""
    manager = org.do_manager
    assert admin_client.get(f"/admin/people/user/{manager.pk}/password/").status_code == 403
    response = admin_client.post(f"/admin/people/user/{manager.pk}/password/",
                                 {"password1": "a-new-password-1234", "password2": "a-new-password-1234"})
    assert response.status_code == 403
    admin_client.post(f"/admin/people/user/{manager.pk}/change/", user_form(manager, email="attacker@example.org"))
    manager.refresh_from_db()
    assert manager.email == "do-manager@example.org" and manager.check_password("footprint-test")
    # Anyone else's password is still the admin's to set.
    assert admin_client.get(f"/admin/people/user/{org.auditor.pk}/password/").status_code == 200


def test_deleting_a_do_officer_in_the_admin_is_refused(admin_client, org):
    officer = UserFactory(username="new-officer", roles=[roles.DESIGNATED_OFFICER])
    page = admin_client.get(f"/admin/people/user/{officer.pk}/delete/").content.decode()
    assert HOLDS_DO_ROLE in page
    admin_client.post(f"/admin/people/user/{officer.pk}/delete/", {"post": "yes"})
    admin_client.post("/admin/people/user/", {"action": "delete_selected", "_selected_action": [officer.pk],
                                              "post": "yes"})
    assert slugs(officer) == {roles.DESIGNATED_OFFICER}


def test_the_role_admin_cannot_add_rename_or_delete_a_role(admin_client):
    assert admin_client.get("/admin/people/role/add/").status_code == 403
    listing = admin_client.get("/admin/people/role/").content.decode()
    assert "iro-manager" in listing and "designated-officer" not in listing and "do-manager" not in listing
    # A DO role is not there to open; another role is shown, not edited.
    assert admin_client.get("/admin/people/role/designated-officer/change/").status_code == 302
    admin_client.post("/admin/people/role/auditor/change/", {"slug": "auditor", "name": "Designated Officer"})
    assert Role.objects.get(slug="auditor").name == "Auditor"
    assert admin_client.get("/admin/people/role/auditor/delete/").status_code == 403
    assert admin_client.post("/admin/people/role/do-manager/delete/", {"post": "yes"}).status_code in (302, 403)
    assert Role.objects.filter(slug=roles.DO_MANAGER).exists()


# --- Authenticator secrets ------------------------------------------------------------------------

def test_admin_shows_no_authenticator_secret(admin_client, org):
    device = totp_device(org.do_manager)
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 404
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 404
    index = admin_client.get("/admin/").content.decode()
    assert "TOTP" not in index and "otp_totp" not in index
    assert device.key not in admin_client.get(f"/admin/people/user/{org.do_manager.pk}/change/").content.decode()


def test_a_lost_authenticator_is_removed_from_the_server_and_recorded(org):
    device = totp_device(org.designated_officer)
    call_command("remove_authenticator", "designated-officer", "--reason", "Phone lost, ID checked", "--by", "Sam")
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    removal = AuthenticatorRemoval.objects.get()
    assert (removal.person, removal.removed_by, removal.devices) == (org.designated_officer, "Sam", 1)
    # The person and, for a DO role holder, the DO Manager are told.
    told = set(Notification.objects.filter(kind="authenticator-removed").values_list("recipient__username", flat=True))
    assert told == {"designated-officer", "do-manager"}
    with pytest.raises(TypeError):
        removal.delete()
    with pytest.raises(CommandError, match="No one has the username"):
        call_command("remove_authenticator", "nobody", "--reason", "x")


# --- Retention rules ----------------------------------------------------------------------------

def test_retention_rule_not_in_admin(admin_client, org):
    case = concluded(org, "malicious", on=date(2025, 3, 3))
    rule = RetentionRule.objects.get(closure="malicious")
    assert admin_client.get("/admin/lado/retentionrule/").status_code == 404
    response = admin_client.post(f"/admin/lado/retentionrule/{rule.pk}/change/",
                                 {"closure": "malicious", "years": "1", "retirement_age": "67"})
    assert response.status_code == 404
    assert RetentionRule.objects.get(pk=rule.pk).years == rule.years
    assert Enquiry.objects.get(pk=case.pk).retention_review_on == case.retention_review_on


def test_do_manager_changes_a_retention_rule_with_a_reason_and_each_case_says_so(client, org):
    first = concluded(org, "malicious", on=date(2025, 3, 3))
    second = concluded(org, "malicious", on=date(2025, 3, 3))
    other = concluded(org, "substantiated", on=date(2025, 3, 3))
    rule = RetentionRule.objects.get(closure="malicious")
    login(client, org.do_manager)
    page = client.get("/lado/retention/rules/").content.decode()
    assert "Malicious" in page and f"/lado/retention/rules/{rule.pk}/" in page
    url = f"/lado/retention/rules/{rule.pk}/"
    assert f'value="{rule.years}"' in client.get(url).content.decode()

    bad = client.post(url, {"years": "0", "retirement_age": "67", "reason": ""})
    assert bad.status_code == 400
    assert "Years must be between 1 and 100" in bad.content.decode()
    assert "Enter the reason for changing the rule" in bad.content.decode()

    response = client.post(url, {"years": "2", "retirement_age": "67", "reason": "Board decision 12/2025"})
    assert response.status_code == 302 and response["Location"] == "/lado/retention/rules/"
    change = RetentionRuleChange.objects.get()
    assert (change.actor, change.cases_changed, change.reason) == (org.do_manager, 2, "Board decision 12/2025")
    assert "2 years" in change.after and change.before != change.after
    for case in (first, second):
        case.refresh_from_db()
        assert case.retention_review_on == date(2027, 3, 3)
        event = case.timeline.get(action=TimelineEvent.Event.RETENTION_RULE_APPLIED)
        assert event.actor == org.do_manager and "Board decision 12/2025" in event.note
        assert "3 March 2027" in event.note
    assert not other.timeline.filter(action=TimelineEvent.Event.RETENTION_RULE_APPLIED).exists()
    assert "Board decision 12/2025" in client.get("/lado/retention/rules/").content.decode()

    login(client, org.designated_officer)
    assert client.post(url, {"years": "1", "retirement_age": "67", "reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.retention_rule_change(rule=rule, actor=org.iro_manager, years=1, until_retirement=False,
                                       retirement_age=67, reason="x")


def test_the_retention_rule_check_is_one_function(org):
    """The page and the service both go through ``check_retention_rule``."""
    assert services.check_retention_rule(closure="false", years=None, until_retirement=False,
                                         retirement_age=67) == {
        "years": "Enter how many years the enquiry is kept before its review"}
    assert "retirement_age" in services.check_retention_rule(closure="false", years=10, until_retirement=True,
                                                             retirement_age=None)
    rule = RetentionRule.objects.get(closure="false")
    with pytest.raises(ValidationError) as refused:
        services.retention_rule_change(rule=rule, actor=org.do_manager, years=500, until_retirement=False,
                                       retirement_age=67, reason="x")
    assert set(refused.value.message_dict) == {"years"}


# --- Import jobs, children, deletions: no DO data on any admin page ------------------------------

def test_import_job_admin_hides_do_jobs(admin_client, org):
    do_job = ImportJob.objects.create(kind="lado", filename="allegation-against-ron-miles.xlsx",
                                      uploaded_by=org.do_manager, status=ImportJob.Status.REFUSED,
                                      errors=[{"row": 2, "column": "subject_name", "message": "Ron Miles twice"}])
    drp_job = ImportJob.objects.create(kind="drp", filename="drps-2024.csv", uploaded_by=org.iro_manager,
                                       status=ImportJob.Status.DONE)
    listing = admin_client.get("/admin/imports/importjob/").content.decode()
    assert "drps-2024.csv" in listing
    assert "allegation-against" not in listing and "?kind=lado" not in listing
    for page in ("change", "delete", "history"):
        response = admin_client.get(f"/admin/imports/importjob/{do_job.pk}/{page}/", follow=True)
        text = response.content.decode()
        assert "allegation-against" not in text and "Ron Miles" not in text, page
    assert "drps-2024.csv" in admin_client.get(f"/admin/imports/importjob/{drp_job.pk}/change/").content.decode()
    admin_client.post(f"/admin/imports/importjob/{do_job.pk}/delete/", {"post": "yes"})
    assert ImportJob.objects.filter(pk=do_job.pk).exists()


def test_child_linked_to_a_do_case_cannot_be_deleted(admin_client, org):
    enquiry = in_progress(org, children=[org.child], subject_name="Secret Subjectname")
    url = f"/admin/children/child/{org.child.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert HIDDEN_RECORDS in page
    for leak in (enquiry.reference, "Secret Subjectname", "Enquiry-child", "child in a DO enquiry", "DO enquir"):
        assert leak not in page, leak
    admin_client.post(url, {"post": "yes"})
    admin_client.post("/admin/children/child/", {"action": "delete_selected", "_selected_action": [org.child.pk],
                                                 "post": "yes"})
    assert Child.objects.filter(pk=org.child.pk).exists()
    assert list(Enquiry.objects.get(pk=enquiry.pk).children.all()) == [org.child]
    with pytest.raises(ProtectedError), transaction.atomic():
        org.child.delete()
    # A child in no DO case is deleted as before.
    assert "Summary" in admin_client.get(f"/admin/children/child/{org.sibling.pk}/delete/").content.decode()
    admin_client.post(f"/admin/children/child/{org.sibling.pk}/delete/", {"post": "yes"})
    assert not Child.objects.filter(pk=org.sibling.pk).exists()


def test_destroying_a_do_case_still_unlinks_its_children(org):
    case = concluded(org, "false", on=date(2024, 1, 8), children=[org.child])
    services.enquiry_destroy(enquiry=case, actor=org.do_manager, reason="Retention period over")
    org.child.delete()  # nothing links it any more
    assert not Child.objects.filter(pk=org.child.pk).exists()


def test_delete_pages_name_no_do_record(admin_client, org):
    """A vocabulary used by a DO case, and a former DO officer who logged one: the delete page
    neither names nor counts the case, and refuses."""
    enquiry = in_progress(org, subject_name="Secret Subjectname")
    former = org.designated_officer
    services.do_role_remove(actor=org.do_manager, person=former, role=roles.DESIGNATED_OFFICER, reason="Left")
    for url in (f"/admin/lado/sector/{enquiry.sector_id}/delete/", f"/admin/people/user/{former.pk}/delete/"):
        page = admin_client.get(url).content.decode()
        assert HIDDEN_RECORDS in page, url
        assert enquiry.reference not in page and "DO enquir" not in page and "role change" not in page, url
    assert Sector.objects.filter(pk=enquiry.sector_id).exists()


def test_child_history_in_the_admin_names_no_import_file(admin_client, org):
    child = Child(reference="C555555", name="Imported Child", case_type="CLA")
    bulk_create_with_history([child], Child, default_user=org.do_manager,
                             default_change_reason="Imported from allegation-against-ron-miles.xlsx")
    child = Child.objects.get(reference="C555555")
    page = admin_client.get(f"/admin/children/child/{child.pk}/history/").content.decode()
    assert "Imported from a file" in page and "allegation-against" not in page
