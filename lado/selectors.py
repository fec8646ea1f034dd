"""Reads of Designated Officer enquiries, always through the person asking: the DO team sees every
enquiry, everyone else (superusers included) sees none."""

from __future__ import annotations

from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.urls import Resolver404, resolve

from people import roles
from people.models import Role, User
from workflows.clocks import today
from workflows.models import CaseRead

from .access import is_do_team
from .figures import ACTION_COUNTS, AGE_BANDS, figures, received_count  # noqa: F401 (reports read them from here)
from .models import (
    AccessReview,
    Action,
    Category,
    CategoryRetention,
    Consultation,
    DestructionLog,
    Enquiry,
    Meeting,
    RetentionRule,
    RetentionRuleChange,
    RoleChange,
    TimelineEvent,
)

ENQUIRY_KIND = Enquiry._meta.label_lower  # how workflows.audit.record_read names a DO enquiry
FAR_FUTURE = date(9999, 12, 31)
Status = Enquiry.Status


def enquiries_visible_to(user) -> QuerySet[Enquiry]:
    """Default deny: the DO team sees every DO enquiry; nobody else sees any."""
    if is_do_team(user):
        return Enquiry.objects.all()
    return Enquiry.objects.none()


def with_retention_flag(qs: QuerySet[Enquiry]) -> QuerySet[Enquiry]:
    """Annotate ``needs_date_of_birth``: no date of birth is recorded, and the enquiry is kept, or
    (threshold met, still open) may be kept, until the subject's normal pension age. Without it
    the review date counts the years alone, so the enquiry is flagged. In the same query."""
    closure = Case(
        When(status=Status.CONCLUDED, then=F("outcome")),
        When(status=Status.ADVICE_GIVEN, then=Value(RetentionRule.Closure.ADVICE_GIVEN)),
        When(status=Status.CANCELLED, then=Value(RetentionRule.Closure.CANCELLED)),
        default=Value(""), output_field=CharField())
    to_pension_age = RetentionRule.objects.filter(closure=OuterRef("retention_closure"), until_retirement=True)
    return qs.annotate(retention_closure=closure).annotate(needs_date_of_birth=Case(
        When(Q(subject_date_of_birth__isnull=True)
             & (Q(status__in=Enquiry.OPEN_STATUSES, threshold_met=True) | Q(Exists(to_pension_age))),
             then=Value(True)),
        default=Value(False), output_field=BooleanField()))


def with_list_data(qs: QuerySet[Enquiry]) -> QuerySet[Enquiry]:
    """Everything a tray row shows, in a fixed number of queries."""
    return with_retention_flag(qs).select_related(
        "category", "sector", "setting", "school_phase", "delay_reason", "referral_source", "employment_basis",
        "officer",
    ).prefetch_related(
        Prefetch("actions", queryset=Action.objects.filter(done_on__isnull=True).order_by("due_on", "id"),
                 to_attr="open_actions"),
        "children",
    )


def with_next_due(qs: QuerySet[Enquiry], on: date | None = None) -> QuerySet[Enquiry]:
    """Annotate ``next_due``: the soonest running deadline (the same rule as
    ``Enquiry.next_clock``), so the tray can be ordered and paged in the database."""
    on = on or today()
    far = Value(FAR_FUTURE, output_field=DateField())
    action_due = Action.objects.filter(
        enquiry=OuterRef("pk"), done_on__isnull=True, due_on__isnull=False
    ).order_by("due_on").values("due_on")[:1]
    decision = Case(When(status=Status.AWAITING_DECISION, then=F("decision_due")), default=far,
                    output_field=DateField())
    first_meeting = Case(When(status=Status.AWAITING_MEETING, first_meeting_due__isnull=False,
                              then=F("first_meeting_due")), default=far, output_field=DateField())
    review = Case(When(status=Status.IN_PROGRESS, next_review_on__isnull=False, then=F("next_review_on")),
                  default=far, output_field=DateField())
    target = Case(
        When(target_1_due__gte=on, then=F("target_1_due")),
        When(target_2_due__gte=on, then=F("target_2_due")),
        default=F("target_3_due"), output_field=DateField(),
    )
    return qs.annotate(next_due=Least(decision, first_meeting, review, Coalesce(Subquery(action_due), far), target))


def work_tray(user, *, closed: bool = False, search: str = "", mine: bool = False,
              on: date | None = None) -> QuerySet[Enquiry]:
    """Open enquiries soonest due first, or closed enquiries most recently closed first."""
    qs = enquiries_visible_to(user)
    if closed:
        qs = qs.filter(status__in=Enquiry.CLOSED_STATUSES).order_by("-closed_on", "-id")
    else:
        qs = with_next_due(qs.filter(status__in=Enquiry.OPEN_STATUSES), on).order_by("next_due", "received_at", "id")
    if mine:
        qs = qs.filter(officer=user)
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(reference__iexact=search) | Q(subject_name__icontains=search)
                       | Q(subject_employer__icontains=search) | Q(referrer_organisation__icontains=search))
    return with_list_data(qs)


def enquiry_for(user, pk) -> Enquiry:
    """One enquiry with all its detail, or 404; callers check the DO role first (403)."""
    qs = with_list_data(enquiries_visible_to(user)).select_related(
        "logged_by", "decided_by"
    ).prefetch_related(
        Prefetch("meetings", queryset=Meeting.objects.select_related("recorded_by")),
        Prefetch("actions", queryset=Action.objects.order_by("due_on", "recorded_at", "id")),
        Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor")),
    )
    try:
        return qs.get(pk=pk)
    except (Enquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such enquiry.")


def action_for(enquiry: Enquiry, pk) -> Action:
    try:
        return Action.objects.select_related("enquiry").get(enquiry=enquiry, pk=pk)
    except (Action.DoesNotExist, ValueError, TypeError):
        raise Http404("No such action.")


def subject_matches(enquiry: Enquiry) -> QuerySet[Enquiry]:
    """Other enquiries naming the same subject: the same name (case and spacing ignored) and
    the same date of birth or the same employer."""
    if not enquiry.subject_name_key:
        return Enquiry.objects.none()
    same = Q()
    if enquiry.subject_date_of_birth:
        same |= Q(subject_date_of_birth=enquiry.subject_date_of_birth)
    if enquiry.subject_employer_key:
        same |= Q(subject_employer_key=enquiry.subject_employer_key)
    if not same:
        return Enquiry.objects.none()
    return (Enquiry.objects.filter(subject_name_key=enquiry.subject_name_key).filter(same)
            .exclude(pk=enquiry.pk).select_related("category").order_by("-received_at", "-id"))


def subject_history(enquiry: Enquiry) -> tuple[list[Enquiry], list[Enquiry]]:
    """(earlier, later) enquiries about the same subject, newest first."""
    earlier, later = [], []
    for other in subject_matches(enquiry):
        if (other.received_at, other.pk) < (enquiry.received_at, enquiry.pk):
            earlier.append(other)
        else:
            later.append(other)
    return earlier, later


# --- Access log -----------------------------------------------------------------------------


def access_log_for(enquiry: Enquiry) -> QuerySet[CaseRead]:
    return CaseRead.objects.filter(case_kind=ENQUIRY_KIND, case_id=enquiry.pk).select_related("user")


def reads_by(user: User) -> QuerySet[CaseRead]:
    """Every read of a DO enquiry by one person, newest first."""
    return CaseRead.objects.filter(case_kind=ENQUIRY_KIND, user=user).select_related("user")


def references_for(enquiry_ids) -> dict[int, tuple[str, bool]]:
    """enquiry id -> (reference, still exists) for enquiries in an access log, destroyed ones included."""
    ids = set(enquiry_ids)
    found = {pk: (ref, True) for pk, ref in Enquiry.objects.filter(pk__in=ids).values_list("pk", "reference")}
    for pk, ref in DestructionLog.objects.filter(case_id__in=ids - set(found)).values_list("case_id", "reference"):
        found[pk] = (ref, False)
    return found


def enquiry_id_from_link(link: str) -> int | None:
    """The DO enquiry a notification's link opens (``/lado/<pk>/``), or None for any other link:
    how the notifications about DO enquiries are told apart without storing anything more."""
    if not (link or "").startswith("/"):
        return None
    try:
        match = resolve(link.split("?", 1)[0])
    except Resolver404:
        return None
    if match.namespace != "lado" or "pk" not in match.kwargs:
        return None
    return int(match.kwargs["pk"])


def enquiry_opened_alerts(user):
    """The alerts this person was sent about DO enquiries opened by someone other than the enquiry's
    officer and the DO Manager (``lado.alerts``), newest first."""
    from notifications.models import Notification

    from .alerts import KIND

    return Notification.objects.filter(recipient=user, kind=KIND).order_by("-created_at", "-id")


def readers() -> QuerySet[User]:
    """People who have read a DO enquiry (for the DO Manager to choose from)."""
    ids = CaseRead.objects.filter(case_kind=ENQUIRY_KIND).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("username")


# --- Retention ------------------------------------------------------------------------------


def retention_due(on: date | None = None) -> QuerySet[Enquiry]:
    """Closed enquiries whose retention review date has come, soonest first (held ones included,
    marked, since the DO Manager reviews them too but cannot destroy them)."""
    on = on or today()
    return with_retention_flag(
        Enquiry.objects.filter(status__in=Enquiry.CLOSED_STATUSES, retention_review_on__lte=on)
    ).select_related("category").order_by("retention_review_on", "id")


def on_legal_hold() -> QuerySet[Enquiry]:
    return Enquiry.objects.filter(legal_hold=True).select_related("category").order_by("reference")


def retention_rules() -> QuerySet[RetentionRule]:
    return RetentionRule.objects.order_by("closure")


def category_retention_rows() -> list[tuple[Category, CategoryRetention | None]]:
    """Each category of allegation with its longer period, if it has one (one query)."""
    periods = {period.category_id: period for period in CategoryRetention.objects.all()}
    return [(category, periods.get(category.pk)) for category in Category.objects.all()]


def retention_rule_changes() -> QuerySet[RetentionRuleChange]:
    return RetentionRuleChange.objects.select_related("rule", "category", "actor")


# --- Who holds a DO role (DO Manager) -------------------------------------------------------


def do_role_holders() -> list[User]:
    """Everyone holding a DO role, by name, each with ``do_roles`` (their DO roles, as
    ``(role, last granted or None)`` in ``role_rows``) and ``last_login``: three queries
    whatever the number of people."""
    holders = list(
        User.objects.filter(roles__slug__in=roles.DO_TEAM).distinct().prefetch_related(
            Prefetch("roles", queryset=Role.objects.filter(slug__in=roles.DO_TEAM).order_by("slug"),
                     to_attr="do_roles")))
    granted = {
        (row["person_id"], row["role_id"]): row["last"]
        for row in RoleChange.objects.filter(person__in=[user.pk for user in holders],
                                             change=RoleChange.Change.GRANTED)
        .values("person_id", "role_id").annotate(last=Max("at")).order_by()
    }
    for user in holders:
        user.role_rows = [(role, granted.get((user.pk, role.slug))) for role in user.do_roles]
    return holders


def role_changes() -> QuerySet[RoleChange]:
    """The audit trail of DO roles granted and removed, newest first."""
    return RoleChange.objects.select_related("actor", "person", "role")


def consultations_visible_to(user) -> QuerySet[Consultation]:
    """Advice-only consultations: the DO team's, like every DO record (none for anyone else)."""
    if is_do_team(user):
        return Consultation.objects.select_related("sector", "setting", "school_phase", "category", "recorded_by")
    return Consultation.objects.none()


def last_access_review() -> AccessReview | None:
    return AccessReview.objects.select_related("reviewed_by").first()
