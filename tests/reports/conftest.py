import sys
from pathlib import Path

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def hand():
    """bench/report_bench.py, whose hand-written SQL counts each report from the rows."""
    if connection.vendor != "postgresql":
        pytest.skip("the hand-written report SQL is PostgreSQL's")
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import report_bench

    return report_bench
