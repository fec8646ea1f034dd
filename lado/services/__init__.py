"""Every change to a Designated Officer enquiry: one transaction that locks the row, runs the move
through the state machine (``perform``: status 409, permission 403, conditions 409), checks the
input (400 naming the field), records history with the actor and a reason, and appends one
timeline event. Destruction is the exception: it removes the enquiry, its history and timeline,
and leaves one destruction-log entry with no personal data.

One module per part of the procedure (``base`` holds what they share); import from here."""

from .base import (  # noqa: F401
    CODED_FIELDS,
    DETAIL_FIELDS,
    RECORD_FIELDS,
    REFUSALS,
    TEXT_FIELDS,
    Event,
    RetentionRules,
    Status,
    long_date,
    received_date,
    refusal_for,
    refusal_message,
    require_do_manager,
    require_do_team,
    retention_review_date,
    set_clocks,
)
from .casework import (  # noqa: F401
    ACTION_FIELDS,
    WITHOUT_MEETING_OUTCOMES,
    enquiry_add_action,
    enquiry_cancel,
    enquiry_conclude,
    enquiry_conclude_without_meeting,
    enquiry_record_meeting,
    enquiry_update_action,
    open_actions_of,
)
from .enquiries import (  # noqa: F401
    enquiry_decide,
    enquiry_log,
    enquiry_update,
)
from .recount import (  # noqa: F401
    TARGET_REACH_DAYS,
    enquiries_recount_after_calendar_change,
)
from .reporting import (  # noqa: F401
    consultation_log,
    enquiry_record_delay,
)
from .retention import (  # noqa: F401
    DESTRUCTION_IGNORES,
    ERASE_FUNCTION,
    apply_retention_rule,
    category_retention_change,
    check_retention_rule,
    closed_as,
    enquiry_destroy,
    enquiry_extend_retention,
    enquiry_release_legal_hold,
    enquiry_set_legal_hold,
    erase_record,
    purge,
    retention_rule_change,
)
from .team import (  # noqa: F401
    appoint_do_manager,
    do_access_review_record,
    do_role_grant,
    do_role_remove,
    role_removal_refusal,
)
