"""The access log: who read or changed which case, for IRO Managers and the DO Manager.

Nothing is copied into a table of its own. Reads are ``workflows.CaseRead`` rows (one per read,
written by ``workflows.audit.record_read``); changes are the django-simple-history rows of each
case model and its parts (``history_user``, ``history_date``, ``history_type``,
``history_change_reason``). The log is **one UNION ALL** over those tables: every branch projects
the same nine columns and is filtered *before* the union (person, case, dates), so each branch
can use its own index (``CaseRead (user, at)``, ``(case_kind, case_id, at)`` and
``(case_kind, at)``, simple-history's indexes on ``history_date``, ``history_user`` and the case id). The union is ordered by time and
cut to one page in the database, so a page costs the same number of queries whatever the size of
the log: the count, the page, the people on the page, and one query per kind of case for the
references. A per-kind view would have needed a query per table per page and a merge in Python.

The branches have identical column types, so PostgreSQL flattens the union; the reads branch
filters on ``case_kind`` and walks ``CaseRead``'s ``(case_kind, at)`` index (``caseread_kind_at``)
newest first, so the first page need not sort every read of the kind. (Measured before that index
existed, on PostgreSQL 15 with 1,000,000 reads, IRO scope, 2 shared cores: count 0.2 s, first page
0.35 s, page 10,001 0.8 s.)

Scopes, by role (never by superuser status):
- ``iro`` (IRO Manager): DRPs with their stage records, positive practice, child records, read
  or changed by anyone outside the DO team;
- ``do`` (DO Manager): Designated Officer enquiries with their meetings and actions, and what
  members of the DO team read or changed of the other kinds (a Designated Officer opening a
  child's record says something about a DO enquiry, so only the DO Manager sees it).
DO enquiries never appear in the ``iro`` scope, nor the DO team's reads and changes, nor the DO team
in its list of people; someone holding both roles sees everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, F, Model, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from children.models import Child
from drp.models import DisputeResolution, StageRecord
from lado.models import Action, DestructionLog, Enquiry, Meeting
from people import roles
from people.models import User
from positive_practice.models import PositivePractice
from workflows.models import CaseRead

IRO_SCOPE = "iro"
DO_SCOPE = "do"
READ = "read"
CHANGED = "changed"
CHANGE_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}
COLUMNS = ("e_at", "e_row", "e_user", "e_kind", "e_case", "e_event", "e_part", "e_change", "e_detail")


@dataclass(frozen=True)
class Part:
    """A model whose simple-history rows are changes to a case: the case itself or a part of it."""

    model: type[Model]
    case_field: str  # the column holding the case's id in the history table
    label: str = ""  # "" for the case itself


@dataclass(frozen=True)
class Kind:
    """A kind of case, named as ``record_read`` names it (the model's ``label_lower``)."""

    model: type[Model]
    label: str
    scope: str
    detail_url: str
    parts: tuple[Part, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.model._meta.label_lower


KINDS: dict[str, Kind] = {kind.key: kind for kind in [
    Kind(DisputeResolution, "DRP", IRO_SCOPE, "drp:detail",
         (Part(DisputeResolution, "id"), Part(StageRecord, "drp_id", "Stage record"))),
    Kind(PositivePractice, "Positive practice", IRO_SCOPE, "positive_practice:detail",
         (Part(PositivePractice, "id"),)),
    Kind(Child, "Child record", IRO_SCOPE, "children:detail", (Part(Child, "id"),)),
    Kind(Enquiry, "DO enquiry", DO_SCOPE, "lado:detail",
         (Part(Enquiry, "id"), Part(Meeting, "enquiry_id", "Meeting"), Part(Action, "enquiry_id", "Action"))),
]}


def scopes_for(user) -> frozenset[str]:
    """Which part of the log this person may see: none for everyone but the two managers."""
    if not (user and user.is_authenticated):
        return frozenset()
    scopes = set()
    if user.has_role(roles.IRO_MANAGER):
        scopes.add(IRO_SCOPE)
    if user.has_role(roles.DO_MANAGER):
        scopes.add(DO_SCOPE)
    return frozenset(scopes)


def require_log_reader(user) -> frozenset[str]:
    scopes = scopes_for(user)
    if not scopes:
        raise PermissionDenied("The access log is for IRO Managers and the DO Manager.")
    return scopes


def kinds_for(scopes: Iterable[str]) -> list[Kind]:
    """The kinds of case whose entries the scopes show (the DO scope shows every kind, the IRO
    kinds only for what the DO team did: see ``_who``)."""
    scopes = frozenset(scopes)
    return [kind for kind in KINDS.values() if kind.scope in scopes or DO_SCOPE in scopes]


EVERYONE, DO_TEAM_ONLY, OUTSIDE_DO_TEAM = "everyone", "do-team", "outside-do-team"


def _who(kind: Kind, scopes: frozenset[str]) -> str:
    """Whose reads and changes of this kind of case the scopes show."""
    if kind.scope == DO_SCOPE or {IRO_SCOPE, DO_SCOPE} <= scopes:
        return EVERYONE
    return OUTSIDE_DO_TEAM if IRO_SCOPE in scopes else DO_TEAM_ONLY


def do_team_ids() -> QuerySet:
    """Everyone holding a DO role (a subquery: it goes into each branch of the union)."""
    return User.objects.filter(roles__slug__in=roles.DO_TEAM).values("pk")


def _people(field: str, who: str) -> Q:
    if who == DO_TEAM_ONLY:
        return Q(**{f"{field}__in": do_team_ids()})
    if who == OUTSIDE_DO_TEAM:  # a change made by the system (no person) stays in
        return ~Q(**{f"{field}__in": do_team_ids()})
    return Q()


@dataclass
class LogFilters:
    person: User | None = None
    kind: str = ""
    reference: str = ""
    event: str = ""  # "", READ or CHANGED
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        return {
            "person": self.person.username if self.person else "", "kind": self.kind,
            "reference": self.reference, "event": self.event,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _case_ids_for_reference(kind: Kind, reference: str) -> list[int]:
    ids = list(kind.model.objects.filter(reference__iexact=reference).values_list("pk", flat=True))
    if kind.model is Enquiry:  # reads of a destroyed enquiry stay in the log under its old reference
        ids += list(DestructionLog.objects.filter(reference__iexact=reference).values_list("case_id", flat=True))
    return ids


# Every branch of the union gets exactly the same column types (text, bigint): that lets
# PostgreSQL flatten the UNION ALL and merge the branches' own time-ordered index scans
# (Merge Append) instead of sorting the whole log to show one page.


def _text(value: str) -> Cast:
    return Cast(Value(value), output_field=TextField())


def _text_of(name: str) -> Cast:
    return Cast(F(name), output_field=TextField())


def _big(name: str) -> Cast:
    return Cast(F(name), output_field=BigIntegerField())


def log_entries(user, filters: LogFilters | None = None) -> QuerySet:
    """Every read and change in the person's scope matching the filters, newest first, as rows
    of ``COLUMNS`` (one SQL query; see the module docstring)."""
    branches = _branches(require_log_reader(user), filters or LogFilters())
    first, *rest = branches
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-e_at", "-e_row")


def enquiry_ids(user, filters: LogFilters | None = None) -> list[int]:
    """The distinct DO enquiries, still held, in the log ``log_entries`` would return (two queries):
    an export of the log names each of them, so the export is logged as a read of each."""
    scopes = require_log_reader(user)
    filters = filters or LogFilters()
    key = Enquiry._meta.label_lower
    if DO_SCOPE not in scopes or filters.kind not in ("", key):
        return []
    narrowed = LogFilters(**{**filters.__dict__, "kind": key})
    first, *rest = [branch.values("e_case") for branch in _branches(scopes, narrowed)]
    union = first.union(*rest) if rest else first.distinct()
    ids = [row["e_case"] for row in union]
    # Destroyed cases are named by their destruction-log entry only: nothing of them is read.
    return list(Enquiry.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)) if ids else []


def _branches(scopes: frozenset[str], filters: LogFilters) -> list[QuerySet]:
    """One queryset of ``COLUMNS`` per table, each filtered before the union."""
    kinds = kinds_for(scopes)
    if filters.kind:
        kinds = [kind for kind in kinds if kind.key == filters.kind]
    case_ids: dict[str, list[int]] | None = None
    if filters.reference.strip():
        case_ids = {kind.key: _case_ids_for_reference(kind, filters.reference.strip()) for kind in kinds}
        kinds = [kind for kind in kinds if case_ids[kind.key]]
    start = _local_midnight(filters.date_from) if filters.date_from else None
    end = _local_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None

    branches: list[QuerySet] = []
    if kinds and filters.event in ("", READ):
        keys_by_who: dict[str, list[str]] = defaultdict(list)
        for kind in kinds:
            keys_by_who[_who(kind, scopes)].append(kind.key)
        which = Q(pk__in=[])
        for who, keys in keys_by_who.items():
            which |= Q(case_kind__in=keys) & _people("user", who)
        reads = CaseRead.objects.filter(which)
        if case_ids is not None:
            reads = reads.filter(_any_case(case_ids, kinds))
        if filters.person:
            reads = reads.filter(user=filters.person)
        if start:
            reads = reads.filter(at__gte=start)
        if end:
            reads = reads.filter(at__lt=end)
        branches.append(_read_rows(reads))
    if filters.event in ("", CHANGED):
        for kind in kinds:
            for part in kind.parts:
                history = part.model.history.model.objects.filter(_people("history_user", _who(kind, scopes)))
                if case_ids is not None:
                    history = history.filter(**{f"{part.case_field}__in": case_ids[kind.key]})
                if filters.person:
                    history = history.filter(history_user=filters.person)
                if start:
                    history = history.filter(history_date__gte=start)
                if end:
                    history = history.filter(history_date__lt=end)
                branches.append(history.order_by().annotate(
                    e_at=F("history_date"), e_row=_big("history_id"), e_user=_big("history_user_id"),
                    e_kind=_text(kind.key), e_case=_big(part.case_field), e_event=_text(CHANGED),
                    e_part=_text(part.label), e_change=_text_of("history_type"),
                    e_detail=_text_of("history_change_reason"),
                ).values(*COLUMNS))
    if not branches:  # nothing can match (an unknown reference, say)
        branches.append(_read_rows(CaseRead.objects.none()))
    return branches


def _read_rows(reads: QuerySet[CaseRead]) -> QuerySet:
    return reads.order_by().annotate(
        e_at=F("at"), e_row=_big("id"), e_user=_big("user_id"), e_kind=_text_of("case_kind"),
        e_case=_big("case_id"), e_event=_text(READ), e_part=_text(""), e_change=_text(""),
        e_detail=_text_of("view"),
    ).values(*COLUMNS)


def _any_case(case_ids: dict[str, list[int]], kinds: list[Kind]) -> Q:
    condition = Q(pk__in=[])
    for kind in kinds:
        condition |= Q(case_kind=kind.key, case_id__in=case_ids[kind.key])
    return condition


# --- Turning rows into what people read ----------------------------------------------------------


@dataclass
class Entry:
    at: datetime
    person: User | None
    kind: Kind | None
    case_id: int
    reference: str
    exists: bool
    event: str
    part: str
    change: str
    detail: str

    @property
    def what(self) -> str:
        """"Read", or "Created" / "Changed" / "Deleted" (with the part of the case changed)."""
        if self.event == READ:
            return "Read"
        text = CHANGE_TYPES.get(self.change, "Changed")
        return f"{text}: {self.part.lower()}" if self.part else text

    @property
    def url(self) -> str:
        if not (self.exists and self.kind):
            return ""
        return reverse(self.kind.detail_url, args=[self.case_id])

    @property
    def kind_label(self) -> str:
        return self.kind.label if self.kind else ""


def _references(kind_key: str, ids: set[int]) -> dict[int, tuple[str, bool]]:
    kind = KINDS.get(kind_key)
    if kind is None or not ids:
        return {}
    if kind.model is Enquiry:
        from lado.selectors import references_for

        return references_for(ids)
    rows = kind.model.objects.filter(pk__in=ids).values_list("pk", "reference")
    return {pk: (reference or f"{kind.label} {pk}", True) for pk, reference in rows}


def entries(rows: Iterable[dict]) -> list[Entry]:
    """Rows of ``log_entries`` as entries with their person and case reference, in a fixed
    number of queries: one for the people, one per kind of case (two for destroyed DO enquiries)."""
    rows = list(rows)
    people = {user.pk: user for user in User.objects.filter(pk__in={row["e_user"] for row in rows if row["e_user"]})}
    ids_by_kind: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        ids_by_kind[row["e_kind"]].add(row["e_case"])
    references = {kind: _references(kind, ids) for kind, ids in ids_by_kind.items()}
    result = []
    for row in rows:
        reference, exists = references.get(row["e_kind"], {}).get(row["e_case"], (f"#{row['e_case']}", False))
        result.append(Entry(
            at=row["e_at"], person=people.get(row["e_user"]), kind=KINDS.get(row["e_kind"]),
            case_id=row["e_case"], reference=reference, exists=exists, event=row["e_event"],
            part=row["e_part"] or "", change=row["e_change"] or "", detail=row["e_detail"] or "",
        ))
    return result


def iter_entries(qs: QuerySet, chunk: int = 2000) -> Iterator[Entry]:
    """Every entry of a (possibly huge) log, for exports: read in chunks, a few queries each."""
    batch: list[dict] = []
    for row in qs.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) >= chunk:
            yield from entries(batch)
            batch = []
    if batch:
        yield from entries(batch)


def people_choices(scopes: Iterable[str] = (DO_SCOPE,)) -> QuerySet[User]:
    """Whom the log may be filtered by: the IRO scope alone does not list the DO team."""
    people = User.objects.order_by("last_name", "first_name", "username")
    if DO_SCOPE not in frozenset(scopes):
        people = people.exclude(pk__in=do_team_ids())
    return people
