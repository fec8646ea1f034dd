"""Forms for the Designated Officer pages, rendered with crispy-forms-gds (GOV.UK Design System).

The decision and outcome forms show the statutory definitions beside each choice (as hints),
so the DO chooses against the words of Keeping Children Safe in Education Part 4.
"""

from .enquiry import *  # noqa: F401,F403
from .fields import *  # noqa: F401,F403
from .manager import *  # noqa: F401,F403
from .moves import *  # noqa: F401,F403
from .reporting import *  # noqa: F401,F403
