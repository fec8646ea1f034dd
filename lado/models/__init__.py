"""Designated Officer (formerly LADO) casework: allegations against adults who work with children.

These records hold criminal-offence and special-category data. They are seen and changed only
by the DO team (``people.roles.DO_TEAM``), every read is logged, and none is registered in the
Django admin (a superuser is not a Designated Officer). Only the vocabularies, which hold no
personal data, are edited there; the retention rules and who holds a DO role are the DO
Manager's, on pages of the DO area.

One module per part (vocabularies, the enquiry, its casework, retention, the DO Manager's
records); import from here."""

from .casework import (  # noqa: F401
    Action,
    EnquiryChild,
    Meeting,
    TimelineEvent,
)
from .consultation import Consultation  # noqa: F401
from .counts import EnquiryMonthCount  # noqa: F401
from .enquiry import (  # noqa: F401
    Enquiry,
    name_key,
)
from .records import (  # noqa: F401
    AccessReview,
    AppendOnlyQuerySet,
    AppendOnlyRecord,
    RetentionRuleChange,
    RoleChange,
)
from .retention import (  # noqa: F401
    CategoryRetention,
    DestructionLog,
    RetentionRule,
    describe_category_retention,
)
from .vocabularies import (  # noqa: F401
    Category,
    DelayReason,
    EmploymentBasis,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
    Vocabulary,
)
