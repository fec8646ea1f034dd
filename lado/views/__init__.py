"""Designated Officer pages. Thin: reads go through selectors, writes through services.

Default deny: every page first checks the DO role (403 for everyone else, superusers included,
before any case is looked up), and every page showing a case logs the read.
"""

from .cases import *  # noqa: F401,F403
from .consultations import *  # noqa: F401,F403
from .manager import *  # noqa: F401,F403
