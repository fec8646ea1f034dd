"""Closing the routes around the rules (issue 10): each test performs the attack and shows it fails.

* A NUL byte anywhere in a request is a 400 naming where it was, on every page and endpoint
  (PostgreSQL cannot store or compare it, so it used to be a 500).
* Emails say what happened and link to the page: no child's name, no case text; subjects are
  one line (a line break in a name stopped the email); TLS is on by default in production.
* Only social-care staff can be named as the practitioner in positive practice.
* The application's PostgreSQL role cannot update, delete or truncate any audit table, nor
  switch the append-only triggers off; DO retention destruction still works as that role.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import resolve

from drp.models import DisputeResolution
from imports.models import ImportJob
from lado.models import Enquiry
from tests.guarantees.test_access_matrix import Actors, World, discover, rules_for
from tests.guarantees.test_tamper_evident import cases  # noqa: F401  (a fixture: one of everything, audit rows included)
from tests.support import access_rules as rules
from tests.support.auth import login
from tests.support.factories import cp_child, resolution
from tests.support.problems import field_errors

pytestmark = pytest.mark.django_db

NUL = "\x00"


# --- A NUL byte in any query parameter, form field, JSON field or header --------------------------


class _QueryNames(HTMLParser):
    """The query parameters a page offers: the fields of its GET forms, and the parameters of
    its links back to the same page (sorting, paging, filters)."""

    def __init__(self, path: str):
        super().__init__()
        self.path, self.names, self._in_get_form = path, set(), False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form and attrs.get("name"):
            self.names.add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            link = urlparse(attrs["href"])
            if link.query and link.path in ("", self.path):
                self.names.update(name for name, _ in parse_qsl(link.query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


_READS = re.compile(r"""(?:GET|query_params)\.(?:get|getlist)\(\s*["'](\w+)["']|GET\[\s*["'](\w+)["']""")


def _names_read_by(url: str) -> set[str]:
    """The query parameters the view's module reads by name (``request.GET.get("page")``)."""
    func = resolve(urlparse(url).path).func
    module = inspect.getmodule(getattr(func, "view_class", None) or getattr(func, "cls", None) or func)
    return {a or b for a, b in _READS.findall(inspect.getsource(module))}


def _api_query_parameters() -> dict[str, set[str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: {p["name"] for p in ops.get("get", {}).get("parameters", []) if p["in"] == "query"}
            for path, ops in schema["paths"].items()}


def _get(client, url: str):
    """(status, text) in a savepoint that is rolled back; a 500 comes back as status 500."""
    try:
        with transaction.atomic():
            response = client.get(url)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001  (the test client re-raises a view's exception)
        return 500, repr(exc)
    return response.status_code, content.decode("utf-8", "replace")


def test_nul_byte_in_any_query_parameter_answers_400(org):
    """Every page, API list and admin page (discovered as the access matrix discovers them),
    opened by someone allowed to, with ``%00`` in each query parameter it takes (the API
    schema's, the page's own GET forms and links, and ``q``): 400 naming the parameter, where
    PostgreSQL used to give a 500 (``/children/?q=%00``, ``/lado/?q=%00``,
    ``/api/v1/lado/enquiries/?status=%00`` among them)."""
    world = World(org)
    actors = Actors(world)
    api_parameters = _api_query_parameters()
    assert "status" in api_parameters["/api/v1/lado/enquiries/"]
    tried, problems, pages_tried = 0, [], set()
    for template, endpoint in sorted(discover().items()):
        matched = rules_for(template)
        if "GET" not in endpoint.methods or len(matched) != 1:
            continue
        rule = matched[0]
        if template.startswith("/admin/") and endpoint.params:
            continue  # the admin's object pages: its list pages (and their filters) are tried
        case = rule.cases[0]
        actor = next((a for a in rules.ACTORS if case.expect(a, "GET", endpoint.api) == rules.ALLOW), None)
        if actor is None or template in ("/accounts/logout/", "/api/v1/docs/"):
            continue
        url = template
        for param in endpoint.params:
            url = url.replace(f"{{{param}}}", world.value(case.values[param], actor))
        client = actors.api[actor] if endpoint.api else actors.pages[actor]
        query = dict(parse_qsl(case.query))
        status, text = _get(client, f"{url}?{urlencode(query)}" if query else url)
        actors.restore(actor)
        if status == 405:
            continue  # POST only: it reads no query
        if status >= 400:
            problems.append(f"{actor} GET {url}: {status} without a NUL byte")
            continue
        names = {"q"} | api_parameters.get(template, set()) | _names_read_by(url)
        if not endpoint.api and status == 200:
            parser = _QueryNames(url)
            parser.feed(text)
            names |= parser.names - {"csrfmiddlewaretoken"}
        for name in sorted(names):
            status, text = _get(client, f"{url}?{urlencode({**query, name: 'a' + NUL})}")
            actors.restore(actor)
            tried += 1
            pages_tried.add(template)
            if status != 400 or name not in text or "NUL" not in text:
                problems.append(f"{actor} GET {url}?{name}=a%00: {status} {text[:100] if status != 200 else ''}")
    print(f"\nNUL byte: {tried} query parameters on {len(pages_tried)} pages and API lists, "
          f"{len(problems)} problems")
    assert not problems, "\n".join(problems)
    assert {"/children/", "/lado/", "/api/v1/lado/enquiries/", "/admin/"} <= pages_tried
    assert tried > 400


def test_nul_byte_in_a_form_field_json_field_or_header_answers_400(org, client):
    """Forms (pages and the import upload), JSON bodies and headers: 400 naming the field,
    nothing saved. A signed-out person is still sent to sign in first."""
    assert client.get(f"/drps/?q={NUL}").status_code == 302  # sign in first

    login(client, org.iro)
    response = client.post("/drps/raise/", {"children": org.child.reference, "case_type": "CLA",
                                            "themes": ["placement"], "concern": f"Drift{NUL}"})
    assert response.status_code == 400 and "concern contains a character that is not allowed" in response.text

    login(client, org.iro_manager)
    upload = ("drps.csv", b"reference,children\r\nDRP-1,C000001\r\n", "text/csv")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/imports/", {"kind": f"drp{NUL}", "file": SimpleUploadedFile(*upload)})
    assert response.status_code == 400 and "kind contains" in response.text
    assert not ImportJob.objects.exists()

    from rest_framework.test import APIClient

    from tests.support.auth import api_token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    response = api.post("/api/v1/drps/", {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"],
                                       "concern": "Drift", "extra": {"notes": ["fine", f"bad{NUL}"]}},
                        format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["extra.notes[1]"]
    response = api.get("/api/v1/drps/", HTTP_USER_AGENT=f"Agent{NUL}")
    assert response.status_code == 400 and list(field_errors(response)) == ["User-Agent"]
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", {"username": f"iro{NUL}", "password": "x"}, format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["username"]
    response = client.post("/accounts/login/", {"username": f"iro{NUL}", "password": "x"})
    assert response.status_code == 400
    assert not DisputeResolution.objects.exists()
    if connection.vendor == "postgresql":
        # The same search without the NUL works: the 400 is the NUL's.
        assert client.get("/drps/?q=Drift").status_code in (200, 302)


# --- Emails: what happened and a link; no child, no case text, one-line subjects --------------------

#: Words each case text holds, none of which may leave in an email.
CASE_TEXT = {"concern": "Xanadu-concern", "response": "Yonder-response", "reason": "Zephyr-reason",
             "outcome": "Quartz-outcome", "impact": "Vellum-impact", "what_happened": "Walnut-deed",
             "pp_impact": "Umber-difference", "do_summary": "Tamarind-allegation"}


def _every_kind_of_email(org) -> list:
    """A DRP raised, responded to, escalated and resolved; another left to go overdue; positive
    practice; DRP and DO reminders; a daily digest and the monthly report: every email sent."""
    from drp import services as drp_services
    from drp.models import Stage, Theme
    from lado import services as lado_services
    from notifications.models import EmailFrequency, Preference
    from notifications.services import send_daily_digests
    from positive_practice import services as pp_services
    from reports.services import send_monthly_report_email
    from tests.support.lado_fixtures import at, in_progress
    from workflows.clocks import as_of
    from workflows.reminders import run_sweep

    Preference.objects.create(user=org.service_manager, email=EmailFrequency.DAILY)
    placement = Theme.objects.get(slug="placement")
    stage_1, stage_2 = Stage.objects.get(key="stage-1"), Stage.objects.get(key="stage-2")
    with as_of(date(2026, 11, 2)):
        drp = drp_services.drp_raise(actor=org.iro, children=[org.child, org.sibling], case_type="CLA",
                                     themes=[placement], concern=f"{CASE_TEXT['concern']} for Amy", stage=stage_1)
        other = drp_services.drp_raise(actor=org.iro, children=[cp_child(org, name="Cara Example", reference="C000003")],
                                       case_type="CP", themes=[placement], concern=f"{CASE_TEXT['concern']} for Cara",
                                       stage=stage_1)
        enquiry = in_progress(org, received_at=at(date(2026, 11, 2)), summary=CASE_TEXT["do_summary"],
                              children_description="Amy Example, aged 9")
        lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="police-investigation",
                                         owner_name="DS Lee", due_on=date(2026, 11, 20))
    with as_of(date(2026, 11, 3)):
        drp_services.drp_respond(drp=drp, actor=org.team_manager, response=CASE_TEXT["response"],
                                 agreed_by=date(2026, 11, 20))
        drp_services.drp_escalate(drp=drp, actor=org.iro, reason=CASE_TEXT["reason"], stage=stage_2)
        # An answered DRP left waiting on the IRO: the review reminders.
        drp_services.drp_respond(drp=other, actor=org.team_manager, response=CASE_TEXT["response"])
    with as_of(date(2026, 11, 4)):
        drp_services.drp_resolve(drp=drp, actor=org.iro, **resolution(CASE_TEXT["outcome"], impact=CASE_TEXT["impact"]))
        pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                             what_happened=CASE_TEXT["what_happened"], impact=CASE_TEXT["pp_impact"],
                                             practitioner=org.social_worker)
    withdrawn = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=[placement],
                                       concern=f"{CASE_TEXT['concern']} for Amy again", stage=stage_1)
    drp_services.drp_withdraw(drp=withdrawn, actor=org.iro, reason=CASE_TEXT["reason"])
    for day in (date(2026, 11, 6), date(2026, 11, 11), date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 1)):
        with as_of(day):
            run_sweep(day)
    send_daily_digests()
    assert send_monthly_report_email(on=date(2026, 12, 1))
    return mail.outbox


def test_emails_name_no_child(org, django_capture_on_commit_callbacks):
    """Every kind of email Footprint sends says what happened and links to the page: no child's
    name or reference, and no concern, reason, response, outcome, impact or DO summary. The
    in-app notifications (the same words) name the case by its reference only."""
    from notifications.models import Notification

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        emails = _every_kind_of_email(org)
    forbidden = [org.child.name, org.sibling.name, "Amy", "Ben", "Cara", org.child.reference, org.sibling.reference,
                 "C000003",
                 *CASE_TEXT.values(), "Robert Miles"]

    from people.models import User

    # Staff are named in emails (who raised it, who it is addressed to); their generated names
    # (an IRO called Amy Davidson) are not a child's.
    staff = sorted({name for user in User.objects.all() for name in (user.get_full_name(), str(user)) if name},
                   key=len, reverse=True)

    def named(text: str) -> list[str]:
        """The forbidden words in ``text`` once staff names are taken out, as whole words (a
        responder called Benjamin is not the child Ben)."""
        for name in staff:
            text = text.replace(name, "")
        return [word for word in forbidden if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]

    subjects = " | ".join(message.subject for message in emails)
    for expected in ("raised at Stage 1", "responded at Stage 1", "escalated to Stage 2", "resolved at Stage 2",
                     "Positive practice recognised", "response due", "overall time limit", "withdrawn at Stage 1",
                     "review of the response", "check the actions agreed by",
                     "police investigation", "update", "monthly theme report"):
        assert expected in subjects, f"no email about {expected!r}: {subjects}"
    assert len(emails) >= 15
    print(f"\n{len(emails)} emails, {Notification.objects.count()} notifications read")
    for message in emails:
        text = f"{message.subject}\n{message.body}"
        assert not named(text), text
        assert f"{settings.FOOTPRINT_BASE_URL}/" in message.body, text  # links to the page
        assert "\n" not in message.subject and "\r" not in message.subject
        message.message()  # the headers are valid
    for notification in Notification.objects.all():
        text = f"{notification.subject}\n{notification.body}"
        assert not named(text), text


def test_carriage_return_in_practitioner_name_does_not_block_email(org, django_capture_on_commit_callbacks):
    """A name typed with a line break (CR) used to make the subject an invalid header
    (BadHeaderError): no email went to the social worker, their manager or the complaints team.
    A stage renamed in the admin with a line break in it likewise. Subjects are now one line."""
    from drp import services as drp_services
    from drp.models import Stage, Theme
    from positive_practice import services as pp_services

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pp = pp_services.positive_practice_record(
            actor=org.iro, children=[org.child], case_type="CLA", what_happened="Visited weekly",
            impact="Felt heard", practitioner=org.social_worker, practitioner_name="Fran Foster\rBcc: x@evil")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.social_worker.email, org.team_manager.email,
                                                           org.complaints.email])
    assert all("\r" not in m.subject and "\n" not in m.subject for m in mail.outbox)
    assert "Fran Foster" in mail.outbox[0].body  # in the body, where a line break is harmless
    assert all(m.message()["Bcc"] is None for m in mail.outbox)
    assert pp.practitioner_name == "Fran Foster\rBcc: x@evil"  # as typed: the record is not changed

    Stage.objects.filter(key="stage-2").update(name="Stage 2\r\nBcc: x@evil")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                     themes=[Theme.objects.get(slug="placement")], concern="Drift",
                                     stage=Stage.objects.get(key="stage-2"))
    assert mail.outbox and all(m.subject.startswith(f"{drp.reference} raised at Stage 2 Bcc: x@evil")
                               for m in mail.outbox)


def test_every_email_goes_through_one_place():
    """Only notifications.emails makes mail (``email_message``, sent alone by ``send_email`` or
    in a batch), so its one-line subject and the rules on what an email may say cannot be
    skipped by a new feature."""
    root = Path(settings.BASE_DIR)
    senders = re.compile(r"\b(send_mail|send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\(")
    found = [str(path.relative_to(root)) for path in root.glob("*/**/*.py")
             if not path.is_relative_to(root / ".venv") and not path.is_relative_to(root / "tests")
             and not path.is_relative_to(root / "node_modules") and senders.search(path.read_text())]
    assert found == ["notifications/emails.py"]


def test_production_sends_email_over_tls_by_default():
    env = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 60,
                "DATABASE_URL": "postgres://footprint:secret@db.internal:5432/footprint",
                "DJANGO_ALLOWED_HOSTS": "footprint.example.gov.uk"})
    shown = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.EMAIL_USE_TLS, settings.EMAIL_BACKEND)"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert shown.stdout.splitlines()[-1] == "True django.core.mail.backends.smtp.EmailBackend", shown.stderr
    checked = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                             cwd=settings.BASE_DIR, env={**env, "EMAIL_USE_TLS": "0"}, capture_output=True,
                             text=True, timeout=300)
    assert checked.returncode != 0 and "footprint.W001" in checked.stdout + checked.stderr


# --- Positive practice names only social-care staff ---------------------------------------------------


def test_only_social_care_staff_may_be_named_practitioner(org, client):
    """An IRO named the Designated Officer (or anyone) as the practitioner, who was then told
    about the child. Now the service, the form and the API refuse (400 naming the field), and
    nobody is told anything."""
    from rest_framework.test import APIClient

    from notifications.models import Notification
    from positive_practice import services as pp_services
    from positive_practice.models import PositivePractice
    from tests.support.auth import api_token

    for outsider in (org.designated_officer, org.do_manager, org.iro_manager, org.complaints, org.auditor):
        with pytest.raises(ValidationError) as refused:
            pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                                 what_happened="Visited", impact="Heard", practitioner=outsider)
        assert list(refused.value.message_dict) == ["practitioner"]
    org.team_manager.is_active = False
    org.team_manager.save()
    with pytest.raises(ValidationError):
        pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                             what_happened="Visited", impact="Heard", practitioner=org.team_manager)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    body = {"children": [org.child.pk], "case_type": "CLA", "what_happened": "Visited", "impact": "Heard"}
    response = api.post("/api/v1/positive-practice/", {**body, "practitioner": org.designated_officer.username},
                        format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["practitioner"]
    assert "social care" in field_errors(response)["practitioner"][0]

    login(client, org.iro)
    response = client.post("/positive-practice/record/", {
        "children": org.child.reference, "case_type": "CLA", "what_happened": "Visited", "impact": "Heard",
        "practitioner": org.designated_officer.pk})
    # The form again with the message (this page answers a refused form with 200, as it did).
    assert response.status_code in (200, 400) and "govuk-error-summary" in response.text
    assert '<a href="#id_practitioner">Select a valid option for social worker or manager recognised' in response.text
    assert not PositivePractice.objects.exists() and not Notification.objects.exists()

    # Social-care staff may be named, through each door.
    response = api.post("/api/v1/positive-practice/", {**body, "practitioner": org.service_manager.username},
                        format="json")
    assert response.status_code == 201, response.json()
    assert PositivePractice.objects.get().practitioner == org.service_manager


# --- The application's database role cannot touch the audit record ---------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="database roles and privileges are PostgreSQL's")


@pytest.fixture
def app_role(db):
    """A login role made and granted as docs/deployment.md says (``manage.py grant_app_role``),
    dropped again afterwards. Yields its name."""
    from django.core.management import call_command

    role = f"footprint_test_app_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    out = io.StringIO()
    call_command("grant_app_role", role, stdout=out)
    assert "audit tables" in out.getvalue()
    yield role
    connection.close()  # in case a test left the connection as the role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")  # its privileges in this database
        cursor.execute(f"DROP ROLE {role}")


@contextmanager
def connected_as(role: str):
    """Django's own connection logs in as ``role`` for the block (a new connection)."""
    saved = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = saved


def _as_role(role: str, *statements: str) -> Exception | None:
    """Run ``statements`` in one transaction on a fresh connection logged in as ``role``; return
    the database's refusal (None if it all ran, which is then rolled back)."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(host=params["HOST"] or "127.0.0.1", port=params["PORT"] or 5432,
                         dbname=params["NAME"], user=role) as raw:
        try:
            with raw.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except psycopg.Error as refused:
            return refused
        finally:
            raw.rollback()
    return None


def _counts(tables) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _append_only_triggers() -> dict[str, str]:
    """Each audit table's append-only trigger, by table."""
    import pgtrigger

    return {model._meta.db_table: trigger.get_pgid(model) for model, trigger in pgtrigger.registered()
            if trigger.name == "append_only"}


def _every_append_only_pgid() -> str:
    return "{" + ",".join(_append_only_triggers().values()) + "}"


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_app_role_cannot_delete_or_rewrite_audit_tables(cases, app_role):  # noqa: F811  (a fixture)
    """Logged in as the application's role, UPDATE, DELETE, TRUNCATE, disabling the triggers and
    dropping them are all refused on every audit table; reading and adding are allowed. The
    role owns no table."""
    from tests.guarantees.test_tamper_evident import PROTECTED
    from workflows.database import audit_tables

    tables = audit_tables()
    assert tables == sorted(model._meta.db_table for model in PROTECTED)  # every audit table, no other
    before = _counts(tables)
    assert all(before.values()), before  # something to destroy in each
    refusals = []
    for table in tables:
        quoted = connection.ops.quote_name(table)
        for attack in (f"UPDATE {quoted} SET id = id", f"DELETE FROM {quoted}", f"TRUNCATE {quoted}",
                       f"ALTER TABLE {quoted} DISABLE TRIGGER ALL",
                       f"DROP TRIGGER {_append_only_triggers()[table]} ON {quoted}"):
            refused = _as_role(app_role, attack)
            refusals.append((table, attack.split()[0], type(refused).__name__))
            assert refused is not None, f"{app_role} could run {attack}"
            assert refused.sqlstate == "42501", (attack, refused)  # insufficient_privilege / must be owner
        assert _as_role(app_role, f"SELECT * FROM {quoted} LIMIT 1") is None  # it may read
    assert _counts(tables) == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", [app_role])
        assert cursor.fetchone()[0] == 0
    print(f"\n{app_role}: {len(refusals)} attacks on {len(tables)} audit tables, all refused")


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pgtrigger_ignore_does_not_help_app_role(cases, app_role):  # noqa: F811  (a fixture)
    """The finding: a role that is not the owner ran ``SET LOCAL pgtrigger.ignore`` naming the
    triggers, and deleted read-log rows. Now the privilege is missing, so ignoring the trigger
    changes nothing; and the destruction function erases nothing of a case not destroyed."""
    from workflows.database import audit_tables

    before = _counts(audit_tables())
    ignore_all = f"SET LOCAL pgtrigger.ignore = '{_every_append_only_pgid()}'"
    for table in audit_tables():
        quoted = connection.ops.quote_name(table)
        for attack in (f"DELETE FROM {quoted}", f"UPDATE {quoted} SET id = id"):
            refused = _as_role(app_role, ignore_all, attack)
            assert refused is not None and refused.sqlstate == "42501", (table, attack, refused)
    live = cases["drp"]  # any id: no destroyed DO case has it
    enquiry = Enquiry.objects.get()
    refused = _as_role(app_role, ignore_all, f"SELECT footprint_erase_destroyed_do_case({int(enquiry.pk)})")
    assert refused is not None and "no destruction-log entry" in str(refused)
    assert _counts(audit_tables()) == before and live.timeline.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_do_case_destruction_works_as_app_role(org, app_role):
    """The whole life of a DO case, read, concluded and destroyed, by the application logged in
    as its role: the case, its meetings, actions, timeline and history go, the destruction log
    and the read log stay."""
    from lado import services as lado_services
    from lado.models import Action, DestructionLog, Meeting
    from lado.models import TimelineEvent as DoTimelineEvent
    from subject_access import services as sar_services
    from subject_access.models import DisclosureDecision, SubjectAccessRequest
    from tests.support.lado_fixtures import at, concluded, in_progress
    from workflows.audit import record_read
    from workflows.clocks import as_of
    from workflows.models import CaseRead

    with connected_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        with as_of(date(2010, 1, 4)):
            enquiry = in_progress(org, received_at=at(date(2010, 1, 4)))
            lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="suspension",
                                             owner_name="Head teacher", done_on=date(2010, 1, 4))
            enquiry = lado_services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="false")
        record_read(org.do_manager, enquiry, "lado:detail")
        pk, kept = enquiry.pk, concluded(org, "false", on=date(2010, 1, 4))
        assert DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
        # A subject access request that covered the case loses its names with it (a function run
        # with the owner's rights: request and decision history are append-only).
        sar = sar_services.request_start(actor=org.do_manager, requester_name="Quentin Solicitor",
                                         received_on=date(2011, 3, 1), enquiry=enquiry)
        sar_services.decision_record(actor=org.do_manager, sar=sar, decision="release-in-full",
                                     reason="Quentin Solicitor asked")
        entry = lado_services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Retention ended")
    sar.refresh_from_db()
    assert sar.anonymised_at and sar.requester_name == ""
    assert not SubjectAccessRequest.history.filter(id=sar.pk, requester_name="Quentin Solicitor").exists()
    assert not DisclosureDecision.objects.filter(request=sar).exclude(reason="").exists()
    assert DestructionLog.objects.get(case_id=pk) == entry
    assert not Enquiry.objects.filter(pk=pk).exists()
    assert not DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
    assert not Enquiry.history.filter(id=pk).exists()
    assert not Meeting.history.model.objects.filter(enquiry_id=pk).exists()
    assert not Action.history.model.objects.filter(enquiry_id=pk).exists()
    assert not Meeting.objects.filter(enquiry_id=pk).exists() and not Action.objects.filter(enquiry_id=pk).exists()
    assert CaseRead.objects.filter(case_kind="lado.enquiry", case_id=pk).exists()
    assert kept.timeline.count() >= 4 and Enquiry.history.filter(id=kept.pk).exists()


@on_postgresql
def test_grant_app_role_refuses_a_role_that_could_undo_it(db):
    """A superuser, a member of the owner, or a role owning a table could rewrite the record
    anyway: the command refuses each, and a role that does not exist."""
    from django.core.management import CommandError, call_command

    role = f"footprint_test_unsafe_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    try:
        for setup, expected in (("", "is a superuser"),
                                (f"ALTER ROLE {role} NOSUPERUSER; GRANT {owner} TO {role}", "is a member of"),
                                (f"REVOKE {owner} FROM {role}; ALTER TABLE workflows_closureday OWNER TO {role}",
                                 "owns workflows_closureday")):
            with connection.cursor() as cursor:
                for statement in filter(None, setup.split("; ")):
                    cursor.execute(statement)
            with pytest.raises(CommandError) as refused:
                call_command("grant_app_role", role, stdout=io.StringIO())
            assert expected in str(refused.value)
        with pytest.raises(CommandError, match="There is no role"):
            call_command("grant_app_role", "no_such_role_anywhere", stdout=io.StringIO())
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {role} TO {owner}")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_the_release_step_connects_as_the_owner_and_names_the_app_role():
    """FOOTPRINT_DATABASE_AS_OWNER (set by the release unit and the Procfile) switches the
    connection to DATABASE_OWNER_URL; the application's role is still DATABASE_URL's user."""
    env = {**os.environ, "DATABASE_URL": "postgres://footprint_app:a@db.internal:5432/footprint",
           "DATABASE_OWNER_URL": "postgres://footprint:b@db.internal:5432/footprint"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['USER'], settings.DATABASE_APP_ROLE)")
    for flag, expected in (("1", "footprint footprint_app"), ("0", "footprint_app footprint_app")):
        shown = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True,
                               text=True, timeout=120, env={**env, "FOOTPRINT_DATABASE_AS_OWNER": flag})
        assert shown.stdout.splitlines()[-1] == expected, shown.stderr
