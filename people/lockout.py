"""Sign-in lockout (django-axes) with three counts, each with its own limit.

* one account from one address: ``AXES_FAILURE_LIMIT`` (FOOTPRINT_LOGIN_FAILURE_LIMIT, 5);
* one account from any address: FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT (20), so rotating
  addresses (or a forged X-Forwarded-For) cannot try passwords on one account for ever;
* one address against any accounts: FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT (30), so one
  password cannot be sprayed across every account.

axes counts failures per ``AXES_LOCKOUT_PARAMETERS`` group and compares the largest count with
one limit; this handler scales each group's count to its own limit first. A successful
sign-in clears the account's counts but not the address's, so an attacker with an account of
their own cannot wipe their spraying by signing in now and then.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


def _group_key(parameter) -> tuple[str, ...]:
    return (parameter,) if isinstance(parameter, str) else tuple(sorted(parameter))


def group_limits(request, credentials) -> list[int]:
    """The limit of each AXES_LOCKOUT_PARAMETERS group, in its order."""
    limits = {
        ("ip_address", "username"): get_failure_limit(request, credentials),
        ("username",): settings.FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT,
        ("ip_address",): settings.FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT,
    }
    return [limits[_group_key(p)] for p in settings.AXES_LOCKOUT_PARAMETERS]


class AxesHandler(AxesDatabaseHandler):

    def group_counts(self, request, credentials=None) -> list[tuple[tuple[str, ...], int, int]]:
        """(group, failures, limit) for each AXES_LOCKOUT_PARAMETERS group."""
        return [
            (_group_key(parameter),
             attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0, own_limit)
            for parameter, attempts, own_limit in zip(
                settings.AXES_LOCKOUT_PARAMETERS, self.get_user_attempts(request, credentials),
                group_limits(request, credentials))]

    def get_failures(self, request, credentials=None) -> int:
        """The failures as axes compares them with AXES_FAILURE_LIMIT: each group's count
        scaled to that limit, so a group reaches it exactly when it reaches its own."""
        limit = get_failure_limit(request, credentials)
        return max((count * limit // max(own_limit, 1)
                    for _, count, own_limit in self.group_counts(request, credentials)), default=0)

    def locked_by(self, request, credentials=None) -> tuple[str, ...] | None:
        """Which count stopped this sign-in: ("ip_address", "username"), ("username",) or
        ("ip_address",), for the lockout page to say what happened."""
        for group, count, own_limit in self.group_counts(request, credentials):
            if count >= own_limit:
                return group
        return None

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in: the account's counts, not the address's."""
        count = 0
        for parameter, attempts in zip(settings.AXES_LOCKOUT_PARAMETERS,
                                       self.filter_user_attempts(request, credentials)):
            if "username" in _group_key(parameter):
                count += attempts.delete()[0]
        return count
