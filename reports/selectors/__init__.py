"""Report figures: aggregate queries only.

Every function here runs a fixed number of queries whatever the amount of data (counting is a
GROUP BY in the database; Python only reshapes the grouped rows). The one exception, documented
on :func:`resolution_times`, walks the DRPs *resolved in one month* to count working days.

Reports hold counts, theme, stage and team names, and the names of the IROs/CCs who raised DRPs;
they hold no child's or DO subject's details. Who may read them is decided by :func:`reports.access.can_read_reports`.

Definitions (shown on the pages too):

* **Reporting year** ``Y``: 1 April ``Y`` to 31 March ``Y + 1`` inclusive.
* **Raised**: DRPs whose ``raised_on`` falls in the period. **Positive practice**: records whose
  ``recorded_on`` falls in the period.
* **Closed**: DRPs resolved or withdrawn with ``closed_on`` in the period, counted by the stage
  they closed at (``closed_at_stage``); every stage of the ladder appears, zeros included. The
  annual report shows it two ways, labelled: DRPs *closed in the year*, and DRPs *raised in the
  year* that have closed (the seed report's view); in both, resolved DRPs are counted by case
  type and withdrawn ones on a row of their own.
* **Themes**: DRPs raised in the period per theme (a DRP with two themes counts once for each);
  every active theme appears.
* **Stage reached**: a DRP's current stage, the highest it has reached (stages only go up).
* **Time to resolution**: working days (``workflows.calendar``) from ``raised_on`` to
  ``closed_on`` for DRPs *resolved* (not withdrawn) in the month. **Within timescale**: resolved
  on or before the DRP's overall deadline, the 20-working-day limit of the IRO Handbook (6.2),
  counted from the first formal stage or from the date raised as ``FOOTPRINT_DRP_TIMESCALE_FROM``
  says (``drp.clocks``, the rule the DRP's own clock and reminders use); DRPs resolved before
  any formal stage have no overall clock under the first and are counted apart.
* **Theme spike**: a theme's count this month is at least :data:`SPIKE_MIN_COUNT` (3) *and* at
  least :data:`SPIKE_FACTOR` (2) times its mean monthly count over the previous 11 months
  (zero months included).
* **Designated Officer**: ``lado.selectors.figures`` (aggregates only): enquiries received,
  met threshold and advice given count enquiries *received* in the period; ``decisions``
  counts threshold decisions *made* in the period and those made by their due date (one
  working day after receipt, ``LADO_DECISION_WORKING_DAYS``); outcomes count enquiries *concluded
  or cancelled* in the period, *cancelled* only where the threshold was met, and
  ``cancelled_before_decision`` on its own row (``lado.clocks.outcome_row``); timeliness is the
  percentage (one decimal; ``None`` when none concluded) of enquiries concluded in the period that
  concluded by each configured target date (``lado.conf.target_months``, default 1, 3 and 12
  months, on the next working day when the date is not one), and ``concluded_within`` the
  counts behind it; ``open_at_end`` the enquiries open on the period's last day by their age then
  (under 1 month, 1 to 3, 3 to 12, over 12 months from referral); ``actions`` the enquiries with a
  police investigation, suspension, DBS or regulator referral action recorded in the period.
  Readers outside the DO team see these only for a period that has ended, small counts
  suppressed: ``reports.disclosure``.
* **Caseload** (IRO/CC footprint): the distinct children named in the DRPs the IRO/CC raised
  and the positive practice they recorded in the period; the only caseload Footprint can see.
* **Where figures are read**: the public functions here are :func:`workflows.replica.from_replica`:
  with ``DATABASE_REPLICA_URL`` set they read the streaming replica (usually under a second
  behind the primary, seconds under heavy writes), and the primary when it is down; pages,
  downloads, the API and the monthly email alike.
* **Informal / formal** (IRO/CC footprint): a DRP is *informal* while its highest stage reached
  is not formal (resolved, withdrawn or still open at the informal stage), *formal* once it has
  reached a formal stage.
"""

from .annual import *  # noqa: F401,F403
from .common import *  # noqa: F401,F403
from .common import _closed_in, _raised_in  # noqa: F401
from .learning import *  # noqa: F401,F403
from .monthly import *  # noqa: F401,F403
