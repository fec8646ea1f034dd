"""The DRP ladder and the enquiry statuses the report tests count by
(tests/reports/test_reports_*.py)."""

from lado.models import Enquiry

LADDER = ["informal", "stage-1", "stage-2", "stage-3", "stage-4", "stage-5"]
S = Enquiry.Status
