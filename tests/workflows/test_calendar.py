"""The working-day calendar, written as the rules in DOMAIN.md ("Working days").

N working days from D is the N-th working day strictly after D; D itself is day 0
whatever day of the week it is. A working day is Monday to Friday, not an England
bank holiday (from the ``holidays`` package, one-off holidays included) and not a
local closure day (``ClosureDay``, admin-editable, cached per process but cleared
on save/delete).
"""

from datetime import date, timedelta

import pytest

from workflows import calendar
from workflows.calendar import (
    WorkingDayCalendar,
    add_working_days,
    clear_calendar_cache,
    get_calendar,
    working_days_between,
)
from workflows.clocks import Rag, rag_for
from workflows.models import ClosureDay

pytestmark = pytest.mark.django_db  # get_calendar() reads ClosureDay


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """The calendar cache is per process: don't let one test's closure days leak into another.

    (A test's ClosureDay rows vanish by transaction rollback, which sends no post_delete.)
    """
    clear_calendar_cache()
    yield
    clear_calendar_cache()


def is_working_day(day: date) -> bool:
    return get_calendar().is_working_day(day)


# --- Weekends and the day-0 rule -------------------------------------------------------------


def test_zero_working_days_from_a_date_is_that_date():
    assert add_working_days(date(2026, 11, 25), 0) == date(2026, 11, 25)  # Wednesday
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)  # Saturday
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)  # Christmas Day


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 25), -1)


def test_one_working_day_from_a_weekday_is_the_next_weekday():
    assert add_working_days(date(2026, 11, 24), 1) == date(2026, 11, 25)  # Tue -> Wed


def test_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 29))  # Sunday
    assert is_working_day(date(2026, 11, 30))  # Monday


def test_one_working_day_from_a_friday_is_the_following_monday():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_a_saturday_start_is_still_day_zero():
    # Saturday 28 Nov 2026 is day 0; the first working day strictly after it is Monday 30 Nov.
    assert add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 28), 5) == date(2026, 12, 4)


def test_a_sunday_start_is_still_day_zero():
    assert add_working_days(date(2026, 11, 29), 1) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 29), 2) == date(2026, 12, 1)


def test_a_bank_holiday_start_is_still_day_zero():
    # Good Friday 3 Apr 2026 is day 0; Easter Monday is skipped; day 1 is Tuesday 7 April.
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)


def test_five_working_days_from_a_monday_is_the_next_monday():
    assert add_working_days(date(2026, 11, 2), 5) == date(2026, 11, 9)


# --- Easter ---------------------------------------------------------------------------------


def test_good_friday_and_easter_monday_are_not_working_days():
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert is_working_day(date(2026, 4, 2))  # Maundy Thursday
    assert is_working_day(date(2026, 4, 7))  # Easter Tuesday


def test_one_working_day_from_maundy_thursday_is_easter_tuesday():
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)


# --- Christmas and New Year, with substitute days --------------------------------------------


def test_christmas_day_and_boxing_day_substitute_2026_are_not_working_days():
    # 25 Dec 2026 is a Friday; Boxing Day (Saturday 26th) is substituted by Monday 28 Dec.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert is_working_day(date(2026, 12, 29))


def test_one_working_day_from_christmas_eve_2026_is_tuesday_29_december():
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_christmas_2027_on_a_weekend_is_substituted_by_27_and_28_december():
    # 25 Dec 2027 is a Saturday, 26 Dec a Sunday: substitutes are Monday 27 and Tuesday 28 Dec.
    assert not is_working_day(date(2027, 12, 27))
    assert not is_working_day(date(2027, 12, 28))
    assert add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)


def test_new_year_2022_on_a_saturday_is_substituted_by_monday_3_january():
    assert not is_working_day(date(2022, 1, 3))
    assert add_working_days(date(2021, 12, 31), 1) == date(2022, 1, 4)


def test_new_year_2023_on_a_sunday_is_substituted_by_monday_2_january():
    assert not is_working_day(date(2023, 1, 2))
    assert add_working_days(date(2022, 12, 30), 1) == date(2023, 1, 3)


def test_twenty_working_days_across_christmas_2026():
    """From Monday 14 Dec 2026, counted by hand (25 Dec, 28 Dec and 1 Jan are bank holidays):

     1 Tue 15 Dec    2 Wed 16 Dec    3 Thu 17 Dec    4 Fri 18 Dec
     5 Mon 21 Dec    6 Tue 22 Dec    7 Wed 23 Dec    8 Thu 24 Dec
       Fri 25 Dec (Christmas Day)    Mon 28 Dec (Boxing Day substitute)
     9 Tue 29 Dec   10 Wed 30 Dec   11 Thu 31 Dec
       Fri 1 Jan 2027 (New Year's Day)
    12 Mon 4 Jan    13 Tue 5 Jan    14 Wed 6 Jan    15 Thu 7 Jan    16 Fri 8 Jan
    17 Mon 11 Jan   18 Tue 12 Jan   19 Wed 13 Jan   20 Thu 14 Jan

    so the deadline is Thursday 14 January 2027 (weekends alone would give Monday 11 January).
    """
    assert add_working_days(date(2026, 12, 14), 20) == date(2027, 1, 14)
    assert working_days_between(date(2026, 12, 14), date(2027, 1, 14)) == 20


# --- One-off bank holidays -------------------------------------------------------------------


def test_ve_day_2020_moved_the_early_may_bank_holiday_to_friday_8_may():
    assert not is_working_day(date(2020, 5, 8))
    assert add_working_days(date(2020, 5, 7), 1) == date(2020, 5, 11)


def test_monday_4_may_2020_was_a_working_day():
    assert is_working_day(date(2020, 5, 4))
    assert add_working_days(date(2020, 5, 1), 1) == date(2020, 5, 4)


def test_platinum_jubilee_thursday_2_and_friday_3_june_2022_are_not_working_days():
    assert not is_working_day(date(2022, 6, 2))
    assert not is_working_day(date(2022, 6, 3))
    assert add_working_days(date(2022, 6, 1), 1) == date(2022, 6, 6)


def test_late_may_2022_bank_holiday_moved_so_monday_30_may_was_a_working_day():
    assert add_working_days(date(2022, 5, 27), 1) == date(2022, 5, 30)


def test_state_funeral_of_queen_elizabeth_ii_monday_19_september_2022_is_not_a_working_day():
    assert not is_working_day(date(2022, 9, 19))
    assert add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)


def test_coronation_of_king_charles_iii_monday_8_may_2023_is_not_a_working_day():
    assert not is_working_day(date(2023, 5, 8))
    assert add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)


# --- working_days_between agrees with add_working_days ---------------------------------------


def _start_dates():
    """Every day (weekends and holidays included) around Easter 2026, Christmas 2026 and 2027."""
    for first, last in [
        (date(2026, 3, 25), date(2026, 4, 12)),
        (date(2026, 12, 10), date(2027, 1, 6)),
        (date(2027, 12, 18), date(2028, 1, 4)),
    ]:
        day = first
        while day <= last:
            yield day
            day += timedelta(days=1)


def test_working_days_between_counts_back_to_n_for_every_start_and_n_up_to_30():
    checked = 0
    for start in _start_dates():
        for n in range(31):
            due = add_working_days(start, n)
            assert working_days_between(start, due) == n, (start, n, due)
            assert due == start or is_working_day(due), (start, n, due)
            if n > 0:
                # The deadline is the *first* day that far ahead: the day before is one short.
                assert working_days_between(start, due - timedelta(days=1)) == n - 1, (start, n)
            checked += 1
    assert checked == 65 * 31


def test_working_days_between_is_antisymmetric():
    starts = list(_start_dates())
    for a in starts:
        for b in starts[::3]:
            assert working_days_between(a, b) == -working_days_between(b, a), (a, b)
    assert working_days_between(date(2026, 12, 14), date(2026, 12, 14)) == 0
    assert working_days_between(date(2027, 1, 14), date(2026, 12, 14)) == -20


def test_a_calendar_with_closure_days_is_consistent_too():
    closures = {date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}
    cal = WorkingDayCalendar(closures)
    # Closing the office between Christmas and New Year: 24 Dec is day 0, 4 Jan is day 1.
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)
    for start in _start_dates():
        for n in range(31):
            due = cal.add_working_days(start, n)
            assert due not in closures or n == 0
            assert cal.working_days_between(start, due) == n, (start, n, due)


def test_working_days_between_counted_equals_walking_the_days_one_by_one_over_years():
    """The count is arithmetic (weekdays, less the weekday holidays and closures in range), so
    a list of long-overdue cases costs the same per row; it must equal walking the calendar."""
    # A closure on a Saturday and one on a bank holiday must not be taken off twice.
    cal = WorkingDayCalendar({date(2026, 12, 29), date(2027, 1, 2), date(2026, 12, 25), date(2025, 6, 6)})
    first = date(2024, 12, 20)
    walked, day = {first: 0}, first
    while day < date(2028, 1, 10):
        day += timedelta(days=1)
        walked[day] = walked[day - timedelta(days=1)] + cal.is_working_day(day)
    ends = sorted(walked)
    for start in ends[::11]:
        for end in ends[::7]:
            assert cal.working_days_between(start, end) == walked[end] - walked[start], (start, end)
    assert walked[date(2028, 1, 10)] > 700


# --- Local closure days (ClosureDay) ---------------------------------------------------------


def test_a_new_closure_day_is_skipped_at_once_and_deleting_it_restores_the_old_answer():
    monday, tuesday, wednesday = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)
    assert add_working_days(monday, 1) == tuesday
    # The calendar really is cached, so only the signal can make the next answer change.
    assert get_calendar() is get_calendar()

    closure = ClosureDay.objects.create(date=tuesday, description="Office move")
    assert add_working_days(monday, 1) == wednesday
    assert working_days_between(monday, wednesday) == 1
    assert not is_working_day(tuesday)

    closure.delete()
    assert add_working_days(monday, 1) == tuesday
    assert working_days_between(monday, wednesday) == 2


def test_moving_a_closure_day_is_seen_at_once():
    closure = ClosureDay.objects.create(date=date(2026, 11, 10), description="Training day")
    assert add_working_days(date(2026, 11, 9), 1) == date(2026, 11, 11)

    closure.date = date(2026, 11, 12)
    closure.save()
    assert add_working_days(date(2026, 11, 9), 1) == date(2026, 11, 10)
    assert add_working_days(date(2026, 11, 11), 1) == date(2026, 11, 13)


def test_closure_days_without_the_signal_would_be_cached():
    """Guards the test above: the cache survives a change the signal doesn't see."""
    assert add_working_days(date(2026, 11, 9), 1) == date(2026, 11, 10)
    ClosureDay.objects.bulk_create([ClosureDay(date=date(2026, 11, 10), description="Silent")])
    assert add_working_days(date(2026, 11, 9), 1) == date(2026, 11, 10)  # stale, as designed
    clear_calendar_cache()
    assert add_working_days(date(2026, 11, 9), 1) == date(2026, 11, 11)
    assert calendar.CLOSURE_CACHE_SECONDS == 60


# --- RAG status of a clock -------------------------------------------------------------------


@pytest.fixture
def due_soon_is_five(settings):
    settings.CLOCK_DUE_SOON_WORKING_DAYS = 5


def test_no_due_date_has_no_rag():
    assert rag_for(None, on=date(2026, 11, 2)) is None


def test_past_the_due_date_is_overdue(due_soon_is_five):
    assert rag_for(date(2026, 11, 9), on=date(2026, 11, 10)) == Rag.OVERDUE
    assert rag_for(date(2026, 11, 6), on=date(2026, 11, 9)) == Rag.OVERDUE  # Fri due, seen Mon


def test_due_today_is_due_soon_not_overdue(due_soon_is_five):
    assert rag_for(date(2026, 11, 9), on=date(2026, 11, 9)) == Rag.DUE_SOON


def test_due_within_five_working_days_inclusive_is_due_soon(due_soon_is_five):
    # Monday 2 Nov 2026 to Monday 9 Nov 2026 is exactly 5 working days.
    assert rag_for(date(2026, 11, 9), on=date(2026, 11, 2)) == Rag.DUE_SOON


def test_due_six_working_days_away_is_on_track(due_soon_is_five):
    assert rag_for(date(2026, 11, 10), on=date(2026, 11, 2)) == Rag.ON_TRACK


def test_due_soon_follows_the_setting(settings):
    settings.CLOCK_DUE_SOON_WORKING_DAYS = 2
    assert rag_for(date(2026, 11, 4), on=date(2026, 11, 2)) == Rag.DUE_SOON  # 2 working days
    assert rag_for(date(2026, 11, 5), on=date(2026, 11, 2)) == Rag.ON_TRACK  # 3 working days


def test_due_after_the_easter_weekend_counts_working_days_not_calendar_days(due_soon_is_five):
    # Wednesday 1 April to Thursday 9 April 2026: 8 calendar days, 6 weekdays, but only
    # 4 working days (2, 7, 8, 9 April) because of Good Friday and Easter Monday.
    assert rag_for(date(2026, 4, 9), on=date(2026, 4, 1)) == Rag.DUE_SOON
    # Friday 10 April is the 5th working day, Monday 13 April the 6th.
    assert rag_for(date(2026, 4, 10), on=date(2026, 4, 1)) == Rag.DUE_SOON
    assert rag_for(date(2026, 4, 13), on=date(2026, 4, 1)) == Rag.ON_TRACK


def test_due_after_christmas_2026_counts_working_days_not_calendar_days(due_soon_is_five):
    # Thursday 24 Dec 2026 to Tuesday 5 Jan 2027: 12 calendar days, 8 weekdays, but only
    # 5 working days (29, 30, 31 Dec, 4, 5 Jan).
    assert rag_for(date(2027, 1, 5), on=date(2026, 12, 24)) == Rag.DUE_SOON
    assert rag_for(date(2027, 1, 6), on=date(2026, 12, 24)) == Rag.ON_TRACK


def test_a_closure_day_counts_towards_due_soon(due_soon_is_five):
    # Without a closure, Mon 2 to Tue 10 Nov 2026 is 6 working days: on track.
    assert rag_for(date(2026, 11, 10), on=date(2026, 11, 2)) == Rag.ON_TRACK
    ClosureDay.objects.create(date=date(2026, 11, 5), description="Staff day")
    assert rag_for(date(2026, 11, 10), on=date(2026, 11, 2)) == Rag.DUE_SOON
