"""Reading back the logged reads of enquiries, shared by the tests that every read of an enquiry is
logged (tests/lado/test_do_reads_*.py)."""

from workflows.models import CaseRead

DO = "lado.enquiry"


def do_reads(view=None, user=None):
    """(case id, view) of every logged read of a DO case, oldest first."""
    qs = CaseRead.objects.filter(case_kind=DO).order_by("id")
    if view is not None:
        qs = qs.filter(view=view)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs.values_list("case_id", "view"))
