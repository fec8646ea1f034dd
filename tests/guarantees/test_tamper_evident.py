"""The audit record cannot be quietly rewritten.

On PostgreSQL every timeline, the read log, the history of every case model and of a child's
record, the destruction log, subject access decisions and downloads, the record of looking at
the access log and the reminder log carry a trigger (``workflows.models.append_only``) that
refuses UPDATE and DELETE, even in raw SQL. The application's own database role may not update,
delete or truncate them at all (tests/guarantees/test_app_database_role.py). The one way past both is the recorded
retention destruction of a Designated Officer case, which leaves its destruction-log entry.

SQLite has no triggers: there the models and ``AppendOnlyQuerySet`` refuse (tested below on
both databases), and a case with a timeline cannot be deleted (its foreign key protects it).
"""

from datetime import date, timedelta

import pgtrigger
import pytest
from django.db import DatabaseError, connection, models, transaction
from django.test import Client

from audit.models import AccessLogView
from children.models import Child
from drp import agreed_actions, cover
from drp import services as drp_services
from drp.models import AgreedAction, Cover, DisputeResolution, Stage, StageRecord, Theme
from drp.models import TimelineEvent as DrpTimelineEvent
from integrations.models import Event
from lado import services as lado_services
from lado.models import (
    AccessReview,
    Action,
    DestructionLog,
    Enquiry,
    Meeting,
    RetentionRule,
    RetentionRuleChange,
    RoleChange,
)
from lado.models import TimelineEvent as DoTimelineEvent
from people import roles
from people import services as people_services
from people.models import AuthenticatorRemoval, ServiceAccount
from positive_practice import services as pp_services
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpTimelineEvent
from reports.models import ReportCommentary
from reports.services import commentary_save
from subject_access import services as sar_services
from subject_access.models import DisclosureDecision, Download, SubjectAccessRequest
from tests.support.auth import login
from tests.support.lado_fixtures import at, concluded, in_progress
from workflows.audit import record_read
from workflows.clocks import as_of, today
from workflows.models import CaseRead, ReminderLog
from workflows.reminders import run_sweep

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="database triggers exist on PostgreSQL only; on SQLite the application refuses instead",
)

#: Every protected table, by the model that owns it.
PROTECTED = [
    DrpTimelineEvent, DisputeResolution.history.model, StageRecord.history.model,
    DoTimelineEvent, Enquiry.history.model, Meeting.history.model, Action.history.model,
    PpTimelineEvent, PositivePractice.history.model,
    CaseRead, Child.history.model, ReminderLog, AccessLogView, DestructionLog,
    SubjectAccessRequest.history.model, DisclosureDecision, DisclosureDecision.history.model, Download,
    # The DO Manager's records (who holds a DO role, rule changes, access reviews) and the
    # removal of a lost authenticator.
    RoleChange, RetentionRuleChange, AccessReview, AuthenticatorRemoval,
    # Agreed actions on a DRP, cover for an absent responder, system accounts, and the events
    # log that feeds integrations.
    AgreedAction.history.model, Cover.history.model, ServiceAccount.history.model, Event,
    # The managers' commentary on the annual report document (issue 16): who wrote what, when.
    ReportCommentary.history.model,
]


@pytest.fixture
def cases(org):
    """One of everything: a DRP, a DO case with a meeting and an action, positive practice, a
    read of the DRP, a destroyed DO case, a subject access request decided and downloaded, a
    look at the access log and a reminder sent, each written through its service."""
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="Drift in plan",
                                 stage=Stage.objects.get(key="stage-1"))
    with as_of(date(2024, 1, 8)):
        enquiry = in_progress(org, received_at=at(date(2024, 1, 8)))
        police = lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                                  kind="police-investigation", owner_name="DS Lee")
        # False: reviewed a year after closing, so due for destruction now (unfounded is kept
        # until the subject's pension age or 10 years: issue 12).
        enquiry = lado_services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer,
                                                 outcome="false", actions=[{"id": police.pk, "decision": "done"}])
    pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                         what_happened="Weekly visits", impact="Felt heard")
    record_read(org.iro, drp, "drp:detail")
    lado_services.do_role_grant(actor=org.do_manager, person=org.iro, role="designated-officer", reason="Cover")
    lado_services.retention_rule_change(rule=RetentionRule.objects.get(closure="false"), actor=org.do_manager,
                                        years=2, until_retirement=False, retirement_age=67, reason="Board")
    lado_services.do_access_review_record(actor=org.do_manager, note="Yearly review")
    people_services.remove_authenticator(person=org.auditor, removed_by="Sam", reason="Phone lost")
    # An agreed action on the DRP, cover for an absent responder, a system account.
    # (on a DRP of its own: the tests read the first DRP's single timeline entry)
    acted = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                   themes=[Theme.objects.get(slug="placement")], concern="Actions agreed",
                                   stage=Stage.objects.get(key="stage-1"))
    agreed_actions.drp_agree_action(drp=acted, actor=org.iro, what="Book the review", owner=org.social_worker,
                                    due_on=today() + timedelta(days=14))
    cover.cover_set_up(actor=org.team_manager, absent=org.team_manager, colleague=org.service_manager,
                       starts_on=today(), ends_on=today() + timedelta(days=7))
    people_services.service_account_create(actor=org.iro_manager, name="Mosaic", purpose="Writes DRPs to the "
                                           "child's record", owner=org.iro_manager, scopes=[roles.SYSTEM_READ_DRPS])
    commentary_save(year=2023, section_key="drp", text="Challenge rose.", actor=org.iro_manager)
    lado_services.enquiry_destroy(enquiry=concluded(org, "false", on=date(2010, 1, 4)), actor=org.do_manager,
                                  reason="Retention ended")
    sar = sar_services.request_start(actor=org.iro_manager, requester_name="Amy's advocate",
                                     received_on=date(2024, 1, 8), child=org.child)
    sar_services.decision_record(actor=org.iro_manager, sar=sar, decision="release-in-full", reason="Agreed")
    sar_services.download_prepare(actor=org.iro_manager, sar=sar)
    login(Client(), org.iro_manager).get("/audit/")
    assert run_sweep(drp.stage_due_date, kinds=["drp-stage"])  # a reminder sent, in the reminder log
    return {"drp": drp, "enquiry": enquiry}


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _text_column(model: type[models.Model]) -> str:
    """A column to overwrite: the note, the change reason, the view name, the reason ..."""
    for name in ("note", "history_change_reason", "view", "reason", "filename", "scopes", "phase", "reference"):
        try:
            return model._meta.get_field(name).column
        except Exception:  # noqa: BLE001  (FieldDoesNotExist: try the next)
            continue
    raise AssertionError(f"no text column on {model}")


def _refused(sql: str) -> str:
    """Run raw SQL in a savepoint; return the database's error message (fail if it ran)."""
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    return str(caught.value)


@on_postgresql
@pytest.mark.parametrize("model", PROTECTED, ids=lambda m: m._meta.label)
def test_raw_update_and_delete_are_refused_by_the_database(cases, model):
    rows = list(model._base_manager.order_by("pk").values())
    assert rows, f"the fixture wrote no {model._meta.label}"
    column = connection.ops.quote_name(_text_column(model))

    message = _refused(f"UPDATE {_table(model)} SET {column} = 'rewritten'")
    assert "Cannot update or delete rows" in message and model._meta.db_table in message
    assert "Cannot update or delete" in _refused(f"DELETE FROM {_table(model)}")
    assert "Cannot update or delete" in _refused(f"DELETE FROM {_table(model)} WHERE {column} IS NULL OR TRUE")

    assert list(model._base_manager.order_by("pk").values()) == rows
    # Adding to the record is still allowed: the table is append-only, not read-only.
    assert model._base_manager.count() == len(rows)


@on_postgresql
def test_every_audit_table_has_its_trigger_installed(cases):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'pgtrigger_append_only_%%' AND t.tgenabled = 'O'")
        installed = {row[0] for row in cursor.fetchall()}
    assert installed == {model._meta.db_table for model in PROTECTED}


@on_postgresql
def test_a_raw_delete_of_a_case_cannot_take_its_timeline_with_it(cases):
    drp = cases["drp"]
    # The case row itself is not protected, but its timeline's foreign key holds it: Django's
    # constraints are checked at commit, so ask for the check now, as a commit would.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        message = _refused(f"DELETE FROM {_table(DisputeResolution)} WHERE id = {int(drp.pk)}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert "foreign key" in message
    assert DisputeResolution.objects.filter(pk=drp.pk).exists()
    assert DrpTimelineEvent.objects.filter(drp=drp).count() == 1


def test_deleting_a_case_through_the_application_is_refused(cases):
    """Both databases: a case with a timeline is protected (the foreign key is PROTECT)."""
    for case in (cases["drp"], cases["enquiry"], PositivePractice.objects.get()):
        with pytest.raises(models.ProtectedError), transaction.atomic():
            case.delete()
        assert type(case).objects.filter(pk=case.pk).exists()
    assert DrpTimelineEvent.objects.filter(drp=cases["drp"]).count() == 1


def test_the_application_refuses_to_change_a_timeline_on_any_database(cases):
    event = DrpTimelineEvent.objects.get(drp=cases["drp"])
    with pytest.raises(TypeError):
        DrpTimelineEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(TypeError):
        DoTimelineEvent.objects.filter(enquiry=cases["enquiry"]).delete()
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()


def test_retention_destruction_still_removes_the_case_and_logs_it(cases, org):
    """The recorded destruction is the one path past the triggers (``pgtrigger.ignore`` for
    exactly the DO timeline and history triggers): it works, and leaves its log entry."""
    enquiry = cases["enquiry"]
    pk = enquiry.pk
    record_read(org.do_manager, enquiry, "lado:detail")
    assert DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
    assert Enquiry.history.filter(id=pk).exists() and Meeting.history.model.objects.filter(enquiry_id=pk).exists()

    entry = lado_services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Retention ended")

    assert DestructionLog.objects.get(case_id=pk) == entry
    assert not Enquiry.objects.filter(pk=pk).exists()
    assert not DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
    assert not Enquiry.history.filter(id=pk).exists()
    assert not Meeting.history.model.objects.filter(enquiry_id=pk).exists()
    # The access log outlives the case, and everything else stays put.
    assert CaseRead.objects.filter(case_kind="lado.enquiry", case_id=pk).exists()
    assert DrpTimelineEvent.objects.filter(drp=cases["drp"]).count() == 1


@on_postgresql
def test_destruction_opens_no_door_for_anything_after_it(cases, org):
    """The ignore is for the destruction statements only: straight afterwards, in the same
    transaction and connection, the triggers refuse again."""
    other = concluded(org, "false", on=date(2024, 1, 8))
    with transaction.atomic():
        lado_services.enquiry_destroy(enquiry=cases["enquiry"], actor=org.do_manager, reason="Retention ended")
        _refused(f"UPDATE {_table(DoTimelineEvent)} SET note = 'rewritten' WHERE enquiry_id = {int(other.pk)}")
        _refused(f"DELETE FROM {_table(Enquiry.history.model)} WHERE id = {int(other.pk)}")
        _refused(f"DELETE FROM {_table(CaseRead)}")
    assert other.timeline.count() == 4 and other.history.count() >= 3


@on_postgresql
def test_the_destruction_path_cannot_touch_the_access_log(cases, org):
    """CaseRead is not among the triggers destruction ignores."""
    assert "workflows.CaseRead:append_only" not in lado_services.DESTRUCTION_IGNORES
    with pgtrigger.ignore(*lado_services.DESTRUCTION_IGNORES):
        _refused(f"DELETE FROM {_table(CaseRead)}")
        _refused(f"UPDATE {_table(DrpTimelineEvent)} SET note = 'x'")


@on_postgresql
def test_the_erase_function_ignores_exactly_the_destruction_triggers_and_is_not_public():
    """The database function DO destruction uses (lado/migrations/0006) switches off the four
    triggers in DESTRUCTION_IGNORES and no other, runs with a fixed search path, and PUBLIC may
    not run it (only roles grant_app_role names)."""
    wanted = {trigger.get_pgid(model) for model, trigger in pgtrigger.registered(*lado_services.DESTRUCTION_IGNORES)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.prosecdef, p.proconfig, p.proacl::text[] FROM pg_proc p WHERE p.proname = %s",
                       [lado_services.ERASE_FUNCTION])
        security_definer, config, acl = cursor.fetchone()
    settings = dict(entry.split("=", 1) for entry in config)
    assert security_definer and "pg_temp" in settings["search_path"]
    assert set(settings["pgtrigger.ignore"].strip("{}").split(",")) == wanted and len(wanted) == 4
    # NULL would mean the default, which lets PUBLIC run it; "=X/owner" is a grant to PUBLIC.
    assert acl is not None and not [entry for entry in acl if entry.startswith("=")]
