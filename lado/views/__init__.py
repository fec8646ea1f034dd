"""Designated Officer pages. Thin: reads go through selectors, writes through services.

Default deny: every page first checks the DO role (403 for everyone else, superusers included,
before any enquiry is looked up), and every page showing an enquiry logs the read.
"""

from .consultations import *  # noqa: F401,F403
from .enquiries import *  # noqa: F401,F403
from .manager import *  # noqa: F401,F403
