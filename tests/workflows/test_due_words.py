"""How far a deadline is, in the words every page and reminder uses (``workflows.clocks.due_words``):
working days, England's bank holidays and local closure days counted as the clocks count them."""

from datetime import date

import pytest

from workflows.clocks import Clock, Rag, due_words
from workflows.models import ClosureDay

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("due, on, words", [
    (date(2025, 4, 22), date(2025, 4, 22), "Due today"),
    # Tuesday after Easter: Good Friday and Easter Monday are not working days.
    (date(2025, 4, 22), date(2025, 4, 17), "Due in 1 working day"),
    (date(2025, 4, 24), date(2025, 4, 17), "Due in 3 working days"),
    (date(2025, 4, 17), date(2025, 4, 22), "Overdue by 1 working day"),
    (date(2025, 4, 22), date(2025, 4, 25), "Overdue by 3 working days"),
    # The weekend after a Friday deadline: no working day has passed yet.
    (date(2025, 4, 25), date(2025, 4, 26), "Overdue since 25 April"),
])
def test_due_words_count_working_days(due, on, words):
    assert due_words(due, on) == words


def test_a_closure_day_is_not_counted():
    ClosureDay.objects.create(date=date(2025, 4, 23), description="Office move")
    assert due_words(date(2025, 4, 22), date(2025, 4, 25)) == "Overdue by 2 working days"


def test_a_clock_carries_its_words_and_none_without_a_due_date():
    late = Clock.of("Threshold decision", date(2025, 4, 22), date(2025, 4, 25))
    assert (late.rag, late.overdue_by, late.words) == (Rag.OVERDUE, 3, "Overdue by 3 working days")
    assert Clock.of("Review meeting", None, date(2025, 4, 25)).words == ""
