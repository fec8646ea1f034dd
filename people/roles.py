"""The roles people hold. Slugs are stable identifiers (demo usernames use them too)."""

IRO = "iro"
CHAIR = "chair"
IRO_MANAGER = "iro-manager"
SOCIAL_WORKER = "social-worker"
TEAM_MANAGER = "team-manager"
SERVICE_MANAGER = "service-manager"
HEAD_OF_SERVICE = "head-of-service"
ASSISTANT_DIRECTOR = "assistant-director"
DIRECTOR = "director"
DESIGNATED_OFFICER = "designated-officer"
DO_MANAGER = "do-manager"
COMPLAINTS = "complaints"
BUSINESS_SUPPORT = "business-support"
AUDITOR = "auditor"

NAMES = {
    IRO: "Independent Reviewing Officer",
    CHAIR: "Conference Chair",
    IRO_MANAGER: "IRO Manager",
    SOCIAL_WORKER: "Social Worker",
    TEAM_MANAGER: "Team Manager",
    SERVICE_MANAGER: "Service Manager",
    HEAD_OF_SERVICE: "Head of Service",
    ASSISTANT_DIRECTOR: "Assistant Director",
    DIRECTOR: "Director",
    DESIGNATED_OFFICER: "Designated Officer",
    DO_MANAGER: "Designated Officer Manager",
    COMPLAINTS: "Customer Feedback and Complaints",
    BUSINESS_SUPPORT: "Business Support",
    AUDITOR: "Auditor",
}
ALL = list(NAMES)

#: What a system account (``people.models.ServiceAccount``) may read: held as roles by the
#: account's user, so every selector's check applies to it unchanged. A system account only
#: reads (``people.tokens``); reading DO enquiries is granted by the DO Manager alone.
SYSTEM_READ_DRPS = "system-read-drps"
SYSTEM_READ_REPORTS = "system-read-reports"
SYSTEM_READ_POSITIVE_PRACTICE = "system-read-positive-practice"
SYSTEM_READ_DO = "system-read-do"
SYSTEM_SCOPES = {
    SYSTEM_READ_DRPS: "Read DRPs (and the children they are about)",
    SYSTEM_READ_POSITIVE_PRACTICE: "Read positive practice",
    SYSTEM_READ_REPORTS: "Read reports",
    SYSTEM_READ_DO: "Read Designated Officer enquiries",
}
#: The scopes an IRO Manager may give; DO reading is the DO Manager's to grant.
CASEWORK_SCOPES = (SYSTEM_READ_DRPS, SYSTEM_READ_POSITIVE_PRACTICE, SYSTEM_READ_REPORTS)

#: Raise, escalate, resolve, withdraw DRPs and refer them to Cafcass.
CHALLENGERS = frozenset({IRO, CHAIR, IRO_MANAGER})
#: The social-care line, in rising seniority; they answer DRPs addressed to them.
SOCIAL_CARE = (SOCIAL_WORKER, TEAM_MANAGER, SERVICE_MANAGER, HEAD_OF_SERVICE,
               ASSISTANT_DIRECTOR, DIRECTOR)
#: See every DRP and child record (read).
READ_ALL_DRPS = frozenset({IRO, CHAIR, IRO_MANAGER, BUSINESS_SUPPORT, AUDITOR, SYSTEM_READ_DRPS})
DO_TEAM = frozenset({DESIGNATED_OFFICER, DO_MANAGER})
