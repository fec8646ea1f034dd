"""Who may do what: the explicit table behind tests/guarantees/test_access_matrix.py.

Every URL pattern (from the URL resolver) and every API operation (from the OpenAPI schema) must
match exactly one ``Rule`` below, by a regular expression on its path template (``{id}`` for a
primary key, ``{kind}`` ...), or the matrix fails: a new page or endpoint cannot ship without
someone deciding here who may use it.

A rule holds one or more ``Case``s: the same URL tried with different objects (a DRP about a
child in the social worker's team, and one about a child in another team), each saying, per
HTTP method, which actors pass the permission gate. Everyone else gets ``denied`` (403), or 404
when they are in ``hidden`` (the design hides that the object exists), signed-out people are
sent to sign in (pages) or get 401/403 (API).

Derived from ../shared/DOMAIN.md and issues 2-6: the reviewing team and business support and
auditors read every DRP; social-care managers read DRPs about children in their part of the
team tree; only the DO team sees Designated Officer records (the DO Manager alone: access
logs, retention, destruction, the DO team's roles, retention rules); reports are for IRO
Managers, DO Managers and auditors; the Django admin is for superusers, and shows them no DO
data: every admin page is requested with a real object (issue 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from people import roles

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"  # is_staff and is_superuser, holding no role: admin only, no case data
ACTORS = (ANONYMOUS, *roles.ALL, SUPERUSER)

SIGNED_IN = frozenset(roles.ALL) | {SUPERUSER}
PUBLIC = SIGNED_IN | {ANONYMOUS}
NOBODY = frozenset()

CHALLENGERS = frozenset(roles.CHALLENGERS)
SOCIAL_CARE = frozenset(roles.SOCIAL_CARE)
DO_TEAM = frozenset(roles.DO_TEAM)
DO_MANAGER = frozenset({roles.DO_MANAGER})
#: Every DRP for the reviewing team, business support and auditors; the social-care line for
#: DRPs about children in their teams (every one of them, for org.child's team).
DRP_READERS = frozenset(roles.READ_ALL_DRPS) | SOCIAL_CARE
#: Roles that can see no DRP at all: the DRP API hides that one exists (404).
SEES_NO_DRP = SIGNED_IN - DRP_READERS
#: For a DRP about a child in South Team 1 (under the directorate only): the readers of all,
#: and the Director, whose directorate holds that team.
OTHER_TEAM_DRP_READERS = frozenset(roles.READ_ALL_DRPS) | {roles.DIRECTOR}
#: Roles that answer a DRP at the informal stage: its social worker and their team manager.
INFORMAL_ADDRESSEES = frozenset({roles.SOCIAL_WORKER, roles.TEAM_MANAGER})
PP_READERS = CHALLENGERS | {roles.COMPLAINTS, roles.BUSINESS_SUPPORT, roles.AUDITOR} | SOCIAL_CARE
SEES_NO_PP = SIGNED_IN - PP_READERS
#: Child records: everyone who reads DRPs, and the DO team (to link enquiries to children).
CHILD_READERS = DRP_READERS | DO_TEAM
SEES_NO_CHILD = SIGNED_IN - CHILD_READERS
OTHER_TEAM_CHILD_READERS = frozenset(roles.READ_ALL_DRPS) | DO_TEAM | {roles.DIRECTOR}
CHILD_CREATORS = CHALLENGERS | {roles.BUSINESS_SUPPORT}
REPORT_READERS = frozenset({roles.IRO_MANAGER, roles.DO_MANAGER, roles.AUDITOR})
#: An IRO's or chair's own figures (issue 13); /reports/ sends them there instead of a 403.
MY_FIGURES = frozenset({roles.IRO, roles.CHAIR, roles.IRO_MANAGER})
DRP_IMPORTERS = frozenset({roles.IRO_MANAGER, roles.BUSINESS_SUPPORT})
IMPORTERS = DRP_IMPORTERS | DO_MANAGER
#: The access log viewer: IRO Managers (non-DO cases) and the DO Manager (DO cases); subject
#: access requests likewise (IRO Managers for a child, the DO Manager for a DO subject).
LOG_READERS = SAR_HANDLERS = frozenset({roles.IRO_MANAGER, roles.DO_MANAGER})
IRO_MANAGER = frozenset({roles.IRO_MANAGER})
ADMINS = frozenset({SUPERUSER})
WEBHOOK_MANAGERS = IRO_MANAGER | DO_MANAGER
#: The world's cover (the team manager's, arranged by them): they and their line manager end it.
COVER_ENDERS = frozenset({roles.TEAM_MANAGER, roles.SERVICE_MANAGER})

# What an actor outside a case's allowed set gets.
FORBIDDEN = "403"
HIDDEN = "404"
LOGIN = "login"  # a page: 302 to /accounts/login/
ANY_LOGIN = "any-login"  # 302 to /accounts/login/ or to the admin's own sign-in page
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/
UNAUTHENTICATED = "401/403"  # the API, signed out
ALLOW = "allow"
#: 405: the view refused the method before doing anything, so it proves nothing either way; it
#: agrees with any expectation except that a signed-out person is still sent to sign in.
WRONG_METHOD = "405"

Body = dict | Callable[[object], dict]


@dataclass(frozen=True)
class Case:
    """One way of calling a URL and who passes its permission gate, per method.

    ``values`` fills the path's ``{params}``: a name of an object the test builds (see
    ``World`` in tests/support/access_matrix.py), or ``=literal``. ``body`` is the smallest body per
    method that gets past input checks made before the permission check, so a refusal is
    really the permission gate speaking."""

    access: dict[str, frozenset]
    label: str = ""
    values: dict[str, str] = field(default_factory=dict)
    query: str = ""
    hidden: frozenset = NOBODY
    forbidden: frozenset = NOBODY  # get 403 even where everyone else gets ``denied``
    denied: str = FORBIDDEN
    anonymous: str | None = None  # default: LOGIN for pages, UNAUTHENTICATED for the API
    body: dict[str, Body] = field(default_factory=dict)
    format: str = "json"  # API bodies: json or multipart
    signs_out: bool = False  # success is a redirect to the sign-in page

    def expect(self, actor: str, method: str, api: bool) -> str:
        if actor in self.access[method]:
            return ALLOW
        if actor == ANONYMOUS:
            return self.anonymous or (UNAUTHENTICATED if api else LOGIN)
        if actor in self.hidden:
            return HIDDEN
        if actor in self.forbidden:
            return FORBIDDEN
        return self.denied


@dataclass(frozen=True)
class Rule:
    name: str
    path: str  # regular expression, matched in full against the path template
    cases: tuple[Case, ...]
    #: Only these methods are tried (the admin: GET; its forms are Django's own).
    methods: tuple[str, ...] | None = None

    def matches(self, template: str) -> bool:
        return re.fullmatch(self.path, template) is not None


def rule(name: str, path: str, access: dict[str, frozenset], methods=None, **case) -> Rule:
    return Rule(name, path, (Case(access, **case),), methods=methods)


def page(who: frozenset, post: frozenset | None = None) -> dict[str, frozenset]:
    """A page answers GET and POST (a POST to a read-only page is shown as a GET would be)."""
    return {"GET": who, "POST": who if post is None else post}


def _new_drp(world) -> dict:
    return {"children": [world.child], "case_type": "CLA", "themes": [world.theme], "concern": "Plan drifting"}


def _new_pp(world) -> dict:
    return {"children": [world.child], "case_type": "CLA", "what_happened": "Visited weekly",
            "impact": "Felt heard"}


def _new_agreed_action(world) -> dict:
    return {"what": "Convene a meeting", "due_on": world.action_due_on, "owner": "social-worker"}


def _new_agreed_action_form(world) -> dict:
    day, month, year = world.action_due_on.split("-")[::-1]
    return {"what": "Convene a meeting", "owner": f"user:{world.org.social_worker.pk}",
            "due_on_0": day, "due_on_1": month, "due_on_2": year}


_NEW_CHILD = {"reference": "C777777", "name": "New Child", "date_of_birth": "2016-01-01", "case_type": "CLA"}

# Transitions of a DRP at the informal stage, awaiting the social worker's response: who may
# make each move, and the smallest valid form.
DRP_MOVES = {
    "respond": (INFORMAL_ADDRESSEES, {"response": "We will convene a meeting by Friday."}),
    "escalate": (CHALLENGERS, {"stage": "stage-1", "reason": "No reply in time."}),
    "resolve": (CHALLENGERS, {"outcome": "Plan agreed.", "impact": "Seen weekly.",
                              "impact_codes": ["plan-changed"], "child_informed": "yes",
                              "advocacy_offered": "no"}),
    "withdraw": (CHALLENGERS, {"reason": "Raised in error."}),
    "refer-to-cafcass": (CHALLENGERS, {"reason": "Drift continues."}),
}

#: Admin pages even a superuser is refused (403): adding to logs kept read-only, adding or
#: deleting roles (defined in code), deleting a read of a case, and the autocomplete endpoint
#: called without naming a field.
_ADMIN_NOBODY = (r"autocomplete/|axes/\w+/add/|workflows/caseread/(add|\{object_id\}/delete)/|imports/importjob/add/"
                 r"|people/role/(add|\{object_id\}/delete)/")
#: Every admin page with an object in its address is requested with a real one, per model: the
#: one most linked to the DO case where there is a choice (World.admin_value in the matrix).
_ADMIN_VALUES = {"object_id": "admin_object", "arg0": "admin_object", "arg1": "admin_version",
                 "app_label": "=lado", "content_type_id": "admin_content_type"}
_LADO_MANAGER_PAGES = (r"/lado/(access-log|retention|retention/destroyed|retention/rules|retention/rules/\{rule_id\}"
                       r"|retention/categories/\{category_id\}"
                       r"|alerts|team|team/access-review|team/\{user_id\}/\{role\}/remove|\{id\}/(access-log|retention|destroy))/")
_LADO_MANAGER_API = r"/api/v1/lado/(retention-review|enquiries/\{id\}/(access-log|retention|destroy))/"

RULES: tuple[Rule, ...] = (
    # --- Signing in, accounts, health ------------------------------------------------------
    rule("home: each person's start page", r"/", page(SIGNED_IN)),
    # No password reset by email: an administrator resets a password (docs/security.md).
    rule("sign in", r"/accounts/login/", page(PUBLIC)),
    rule("sign out (POST; GET is 405)", r"/accounts/logout/", page(SIGNED_IN), signs_out=True),
    rule("change my password", r"/accounts/password_change/(done/)?", page(SIGNED_IN)),
    rule("two-step verification: my own authenticator", r"/accounts/two-step/([a-z-]+/)?", page(SIGNED_IN)),
    rule("health checks for the load balancer", r"/healthz/(ready/)?", page(PUBLIC)),
    # System accounts (issue 14): IRO Managers make them; tokens only for the account's owner.
    rule("system accounts: list and make (IRO Managers)", r"/accounts/system-accounts/", page(IRO_MANAGER)),
    rule("system account: issue a token (its owner, the IRO Manager; switching off: POST, IRO Managers)",
         r"/accounts/system-accounts/\{id\}/(token|switch-off)/", page(IRO_MANAGER), values={"id": "service_account"}),
    rule("DO Manager: let a system account read DO cases (in the DO access review)",
         r"/lado/team/system-accounts/\{account_id\}/", page(DO_MANAGER), values={"account_id": "service_account"}),
    # --- Children ------------------------------------------------------------------------------
    rule("children: find a child (list filtered to those the person may see)", r"/children/", page(SIGNED_IN)),
    rule("children: the search behind the child finder (raising a DRP)", r"/children/search/",
         page(CHALLENGERS)),
    Rule("children: a child's record", r"/children/\{id\}/", (
        Case(page(CHILD_READERS), "child in North Team 1", {"id": "child"}, hidden=SEES_NO_CHILD),
        Case(page(OTHER_TEAM_CHILD_READERS), "child in South Team 1", {"id": "other_child"},
             hidden=SIGNED_IN - OTHER_TEAM_CHILD_READERS),
    )),
    # --- DRPs ----------------------------------------------------------------------------------
    rule("DRP list", r"/drps/", page(DRP_READERS)),
    rule("raise a DRP", r"/drps/raise/", page(CHALLENGERS)),
    rule("find a child by name to raise a DRP (without JavaScript)", r"/drps/raise/choose-child/",
         page(CHALLENGERS)),
    rule("needs my action (an IRO's home)", r"/drps/needs-my-action/", page(CHALLENGERS)),
    rule("challenges awaiting my response", r"/drps/awaiting-my-response/", page(SOCIAL_CARE)),
    rule("cover for my DRPs while I am away", r"/drps/cover/", page(SOCIAL_CARE)),
    rule("end a cover early (its arranger, the team manager, or their line manager)", r"/drps/cover/\{id\}/end/",
         page(COVER_ENDERS), values={"id": "cover"}, body={"POST": {"reason": "Back early"}}),
    Rule("a DRP's summary for the child's file, and its print version", r"/drps/\{id\}/(summary|print)/", (
        Case(page(DRP_READERS), "about a child in North Team 1", {"id": "drp"}),
    )),
    Rule("DRP page", r"/drps/\{id\}/", (
        Case(page(DRP_READERS), "about a child in North Team 1", {"id": "drp"}),
        Case(page(OTHER_TEAM_DRP_READERS), "about a child in South Team 1", {"id": "other_drp"},
             hidden=SOCIAL_CARE - {roles.DIRECTOR}),
    )),
    Rule("DRP moves (GET shows the DRP page)", r"/drps/\{id\}/\{transition\}/", tuple(
        Case({"GET": DRP_READERS, "POST": who}, slug, {"id": "drp", "transition": f"={slug}"},
             body={"POST": body})
        for slug, (who, body) in DRP_MOVES.items()
    )),
    rule("record an agreed action on a DRP (GET shows the DRP page)", r"/drps/\{id\}/actions/",
         page(DRP_READERS, post=CHALLENGERS | INFORMAL_ADDRESSEES), values={"id": "drp"},
         body={"POST": _new_agreed_action_form}),
    rule("record whether an agreed action was done: the IRO or its owner (GET shows the DRP page)",
         r"/drps/\{id\}/actions/\{action_pk\}/record/", page(DRP_READERS, post=CHALLENGERS | {roles.SOCIAL_WORKER}),
         values={"id": "drp", "action_pk": "agreed_action"}, body={"POST": {"done": "yes"}}),
    # --- Positive practice -------------------------------------------------------------------
    Rule("positive practice list and CSV", r"/positive-practice/", (
        Case(page(PP_READERS), "page"), Case(page(PP_READERS), "CSV", query="format=csv"))),
    rule("record positive practice", r"/positive-practice/record/", page(CHALLENGERS)),
    Rule("positive practice record", r"/positive-practice/\{id\}/", (
        Case(page(PP_READERS), "about a child in North Team 1", {"id": "pp"}),
        Case(page(PP_READERS - (SOCIAL_CARE - {roles.DIRECTOR})), "about a child in South Team 1",
             {"id": "other_pp"}, hidden=SOCIAL_CARE - {roles.DIRECTOR}),
    )),
    # --- Notifications: each person's own ---------------------------------------------------
    rule("my notifications, mark all read, email preference",
         r"/notifications/(read-all/|preferences/)?", page(SIGNED_IN)),
    Rule("mark one notification read (POST only)", r"/notifications/\{id\}/read/", (
        Case(page(SIGNED_IN), "my own", {"id": "notification"}),
        Case({"GET": SIGNED_IN, "POST": NOBODY}, "someone else's", {"id": "others_notification"},
             hidden=SIGNED_IN),
    )),
    # --- Designated Officer: the DO team only; the DO Manager for logs and retention ----------
    rule("DO pages, DO Manager only (the DO team and its roles, retention rules, logs, destruction)",
         _LADO_MANAGER_PAGES, page(DO_MANAGER), query="user=designated-officer",
         values={"id": "enquiry", "rule_id": "retention_rule", "category_id": "category", "user_id": "do_officer",
                 "role": "=designated-officer"}),
    rule("DO pages (advice-only consultations among them)", r"/lado/(|log/|consultations/|consultations/new/|\{id\}/((?!access-log/|retention/|destroy/)[a-z-]+/|meetings/new/"
         r"|actions/new/|actions/\{action_pk\}/)?)", page(DO_TEAM), values={"id": "enquiry", "action_pk": "action"}),
    # --- Reports, import, the access log, subject access requests ------------------------------
    rule("reports: the index (IROs and chairs are sent to their own figures)", r"/reports/",
         page(REPORT_READERS | {roles.IRO, roles.CHAIR})),
    rule("reports: my figures (an IRO's own)", r"/reports/mine/", page(MY_FIGURES)),
    Rule("reports (aggregates only), their CSV and print versions", r"/reports/(annual/|monthly/|learning/|drp-indicators/)", (
        Case(page(REPORT_READERS), "page"), Case(page(REPORT_READERS), "CSV", query="format=csv"),
        Case(page(REPORT_READERS), "print", query="print=1"))),
    Rule("annual report document (issue 16): page, print, Word file, publication version", r"/reports/annual/document/", (
        Case(page(REPORT_READERS), "page"), Case(page(REPORT_READERS), "print", query="print=1"),
        Case(page(REPORT_READERS), "Word file", query="format=docx"),
        Case(page(REPORT_READERS), "Word file for publication", query="publication=1&format=docx"))),
    Rule("annual report commentary: the IRO Manager writes the DRP and positive-practice sections, the DO Manager "
         "the Designated Officer's", r"/reports/annual/document/commentary/\{section_key\}/", (
        Case(page(IRO_MANAGER), "DRP", {"section_key": "=drp"}, body={"POST": {"text": "Challenge rose."}}),
        Case(page(IRO_MANAGER), "positive practice", {"section_key": "=positive-practice"},
             body={"POST": {"text": "Good work."}}),
        Case(page(DO_MANAGER), "Designated Officer", {"section_key": "=designated-officer"},
             body={"POST": {"text": "Steady."}}),
    )),
    Rule("DO indicators: report readers by year (suppressed, none while a year runs), the DO team by month too",
         r"/reports/do-indicators/", (
             Case(page(REPORT_READERS | DO_TEAM), "a year"), Case(page(REPORT_READERS | DO_TEAM), "CSV", query="format=csv"),
             Case(page(DO_TEAM), "a month (the DO team's)", query="month=2026-11"))),
    Rule("benchmark: read and download for report readers; import for the IRO and DO Managers",
         r"/reports/benchmark/", (
             Case(page(REPORT_READERS, post=IRO_MANAGER | DO_MANAGER), "page"),
             Case(page(REPORT_READERS, post=IRO_MANAGER | DO_MANAGER), "CSV", query="format=csv"))),
    rule("import records", r"/imports/", page(IMPORTERS)),
    Rule("import templates, CSV and XLSX", r"/imports/templates/\{kind\}\.(csv|xlsx)", (
        Case(page(DRP_IMPORTERS), "drp", {"kind": "=drp"}),
        Case(page(DRP_IMPORTERS), "positive_practice", {"kind": "=positive_practice"}),
        Case(page(DO_MANAGER), "lado", {"kind": "=lado"}),
    )),
    Rule("an import's progress: its uploader only", r"/imports/jobs/\{job_id\}/(progress/)?", (
        Case(page(IRO_MANAGER), "the IRO Manager's import", {"job_id": "import_job"},
             hidden=SIGNED_IN - IRO_MANAGER),
    )),
    Rule("try a failed import again, or confirm a previewed one (POST; GET is 405): its uploader only",
         r"/imports/jobs/\{job_id\}/(retry|confirm)/", (
        Case(page(IRO_MANAGER), "the IRO Manager's import", {"job_id": "import_job"},
             hidden=SIGNED_IN - IRO_MANAGER),
    )),
    Rule("access log viewer and its CSV", r"/audit/(.+/)?", (
        Case(page(LOG_READERS), "page"), Case(page(LOG_READERS), "CSV", query="format=csv"))),
    rule("subject access requests: list, start", r"/subject-access/(start/)?", page(SAR_HANDLERS)),
    Rule("a subject access request: records, redactions, decision, download (POST)",
         r"/subject-access/\{id\}/(redactions/|decision/|download/)?", (
             Case(page(IRO_MANAGER), "a child's", {"id": "sar_child"}, hidden=DO_MANAGER),
             Case(page(DO_MANAGER), "a DO subject's", {"id": "sar_do"}, hidden=IRO_MANAGER),
         )),
    # --- Django admin ----------------------------------------------------------------------------
    rule("admin sign-in", r"/admin/login/", page(PUBLIC)),
    rule("admin sign-out (POST; GET is 405)", r"/admin/logout/", page(SIGNED_IN), signs_out=True,
         anonymous=ANY_LOGIN),
    rule("Django admin: superusers only (staff check on every admin view), every page with a real object",
         rf"/admin/(?!login/|logout/|{_ADMIN_NOBODY}|people/user/\{{id\}}/password/|\{{url\}}).*",
         {"GET": ADMINS}, denied=ADMIN_LOGIN, anonymous=ANY_LOGIN, values=_ADMIN_VALUES, methods=("GET",)),
    rule("Django admin pages nobody may use: adding to read-only logs, roles, autocomplete with no field",
         rf"/admin/({_ADMIN_NOBODY})", {"GET": NOBODY}, denied=ADMIN_LOGIN, anonymous=ANY_LOGIN,
         forbidden=ADMINS, values=_ADMIN_VALUES, methods=("GET",)),
    Rule("Django admin: setting a person's password (never a DO role holder's)", r"/admin/people/user/\{id\}/password/", (
        Case({"GET": ADMINS}, "the auditor's", {"id": "auditor"}, denied=ADMIN_LOGIN, anonymous=ANY_LOGIN),
        Case({"GET": NOBODY}, "a Designated Officer's", {"id": "do_officer"}, denied=ADMIN_LOGIN,
             anonymous=ANY_LOGIN, forbidden=ADMINS),
    ), methods=("GET",)),
    rule("Django admin: an address it does not have", r"/admin/\{url\}", {"GET": NOBODY}, values={"url": "=no-such-page/"},
         denied=ADMIN_LOGIN, anonymous=ANY_LOGIN, hidden=ADMINS, methods=("GET",)),
    # --- API -----------------------------------------------------------------------------------
    rule("API token (username and password)", r"/api/v1/auth/token/", {"POST": PUBLIC}),
    # The first release's unversioned addresses: 308 to /api/v1/ for anyone; the new address
    # decides who may do what.
    rule("old API address: 308 to /api/v1/", r"/api/\{rest\}", {"GET": PUBLIC}, values={"rest": "=drps/"}),
    rule("API token: end the token the request is signed with", r"/api/v1/auth/token/revoke/",
         {"POST": SIGNED_IN}),
    rule("API schema and docs", r"/api/v1/(schema|docs)/", {"GET": SIGNED_IN}),
    rule("API children (list filtered; create for the reviewing team and business support)",
         r"/api/v1/children/", {"GET": SIGNED_IN, "POST": CHILD_CREATORS}, body={"POST": _NEW_CHILD}),
    Rule("API child", r"/api/v1/children/\{id\}/", (
        Case({"GET": CHILD_READERS}, "child in North Team 1", {"id": "child"}, hidden=SEES_NO_CHILD),
        Case({"GET": OTHER_TEAM_CHILD_READERS}, "child in South Team 1", {"id": "other_child"},
             hidden=SIGNED_IN - OTHER_TEAM_CHILD_READERS),
    )),
    rule("API DRP ladder, themes, impact codes and partner agencies (reference data)",
         r"/api/v1/drp/(stages|themes|impact-codes|agencies)/", {"GET": SIGNED_IN}),
    rule("API partner agency contacts (names and emails): DRP readers", r"/api/v1/drp/agency-contacts/",
         {"GET": DRP_READERS}),
    rule("API agree an action on a DRP: the IRO or the addressee", r"/api/v1/drps/\{id\}/actions/",
         {"POST": CHALLENGERS | INFORMAL_ADDRESSEES}, values={"id": "drp"}, hidden=SEES_NO_DRP,
         body={"POST": _new_agreed_action}),
    rule("API record whether an agreed action was done: the IRO or its owner",
         r"/api/v1/drps/\{id\}/actions/\{action_pk\}/record/", {"POST": CHALLENGERS | {roles.SOCIAL_WORKER}},
         values={"id": "drp", "action_pk": "agreed_action"}, hidden=SEES_NO_DRP, body={"POST": {"done": True}}),
    rule("API DRPs (list filtered; raise for challengers)", r"/api/v1/drps/",
         {"GET": SIGNED_IN, "POST": CHALLENGERS}, body={"POST": _new_drp}),
    Rule("API DRP", r"/api/v1/drps/\{id\}/", (
        Case({"GET": DRP_READERS}, "about a child in North Team 1", {"id": "drp"}, hidden=SEES_NO_DRP),
        Case({"GET": OTHER_TEAM_DRP_READERS}, "about a child in South Team 1", {"id": "other_drp"},
             hidden=SIGNED_IN - OTHER_TEAM_DRP_READERS),
    )),
    *(rule(f"API DRP move: {slug}", rf"/api/v1/drps/\{{id\}}/{slug}/", {"POST": who}, values={"id": "drp"},
           hidden=SEES_NO_DRP, body={"POST": body})
      for slug, (who, body) in DRP_MOVES.items()),
    rule("API reassign a DRP (the IRO Manager)", r"/api/v1/drps/\{id\}/reassign/", {"POST": IRO_MANAGER},
         values={"id": "drp"}, hidden=SEES_NO_DRP, body={"POST": {"iro": "chair", "reason": "On leave"}}),
    # The world's DRP is open: its status refuses a reopening (409) before anyone's role is asked.
    rule("API reopen a DRP (refused while open)", r"/api/v1/drps/\{id\}/reopen/", {"POST": DRP_READERS},
         values={"id": "drp"}, hidden=SEES_NO_DRP, body={"POST": {"reason": "Not done"}}),
    rule("API cover for a responder's DRPs", r"/api/v1/drp/covers/", {"GET": SOCIAL_CARE, "POST": SOCIAL_CARE}),
    rule("API end a cover early", r"/api/v1/drp/covers/\{id\}/end/", {"POST": COVER_ENDERS},
         values={"id": "cover"}, body={"POST": {"reason": "Back early"}}),
    rule("API my notifications", r"/api/v1/notifications/", {"GET": SIGNED_IN}),
    Rule("API mark a notification read", r"/api/v1/notifications/\{id\}/read/", (
        Case({"POST": SIGNED_IN}, "my own", {"id": "notification"}),
        Case({"POST": NOBODY}, "someone else's", {"id": "others_notification"}, hidden=SIGNED_IN),
    )),
    rule("API positive practice (list filtered; record for challengers)", r"/api/v1/positive-practice/",
         {"GET": SIGNED_IN, "POST": CHALLENGERS}, body={"POST": _new_pp}),
    Rule("API positive practice record", r"/api/v1/positive-practice/\{id\}/", (
        Case({"GET": PP_READERS}, "about a child in North Team 1", {"id": "pp"}, hidden=SEES_NO_PP),
        Case({"GET": PP_READERS - (SOCIAL_CARE - {roles.DIRECTOR})}, "about a child in South Team 1",
             {"id": "other_pp"}, hidden=SEES_NO_PP | (SOCIAL_CARE - {roles.DIRECTOR})),
    )),
    # Only the reads-by-person list takes ?user=: the API refuses a parameter an operation
    # does not declare (400), so the others are called without it.
    rule("API DO, DO Manager only: reads by one person", r"/api/v1/lado/access-log/", {"GET": DO_MANAGER},
         query="user=designated-officer"),
    rule("API DO, DO Manager only", _LADO_MANAGER_API, {"GET": DO_MANAGER, "POST": DO_MANAGER},
         values={"id": "enquiry"}),
    rule("API DO (advice-only consultations among them)", r"/api/v1/lado/(vocabularies/|consultations/|enquiries/(\{id\}/((?!access-log/|retention/|destroy/)[a-z-]+/"
         r"|actions/\{action_id\}/)?)?)",
         {"GET": DO_TEAM, "POST": DO_TEAM, "PATCH": DO_TEAM}, values={"id": "enquiry", "action_id": "action"}),
    rule("API events feed (filtered to what the reader may see)", r"/api/v1/events/", {"GET": SIGNED_IN}),
    rule("API webhook subscriptions: IRO Managers (casework), the DO Manager (DO)", r"/api/v1/webhooks/",
         {"GET": WEBHOOK_MANAGERS, "POST": WEBHOOK_MANAGERS}),
    Rule("API webhook subscription and its delivery log", r"/api/v1/webhooks/\{id\}/(deliveries/)?", (
        Case({"GET": IRO_MANAGER, "DELETE": IRO_MANAGER}, "for DRPs", {"id": "subscription"}, hidden=DO_MANAGER),
        Case({"GET": DO_MANAGER, "DELETE": DO_MANAGER}, "for DO events", {"id": "do_subscription"},
             hidden=IRO_MANAGER),
    )),
    rule("API reports (aggregates only)", r"/api/v1/reports/(annual|monthly|learning|drp-indicators|benchmark)/", {"GET": REPORT_READERS}),
    Rule("API DO indicators: report readers by year, the DO team by month too", r"/api/v1/reports/do-indicators/", (
        Case({"GET": REPORT_READERS | DO_TEAM}, "a year"),
        Case({"GET": DO_TEAM}, "a month (the DO team's)", query="month=2026-11"))),
    Rule("API import", r"/api/v1/imports/", (
        Case({"POST": DRP_IMPORTERS}, "drp", body={"POST": {"kind": "drp"}}, format="multipart"),
        Case({"POST": DO_MANAGER}, "lado", body={"POST": {"kind": "lado"}}, format="multipart"),
    )),
    Rule("API import job: its progress and outcome, a retry; its uploader only",
         r"/api/v1/imports/jobs/\{job_id\}/(retry/)?", (
             Case({"GET": IRO_MANAGER, "POST": IRO_MANAGER}, "the IRO Manager's import", {"job_id": "import_job"},
                  hidden=SIGNED_IN - IRO_MANAGER),
         )),
)
