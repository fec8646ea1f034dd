"""The fuzz's negative-data check counts a request as invalid only when it is invalid as sent
(tests/support/negative_data.py): these are the cases it must tell apart."""

import pytest

from tests.support.negative_data import _parameter_valid_as_sent


def schema(**definition):
    return {"schema": definition}


@pytest.mark.parametrize("value,definition,valid", [
    (4563, schema(type="string"), True),             # a number where text is expected arrives as text
    ("12", schema(type="integer"), True),            # and text of a number arrives as the number
    ("17.9", schema(type="integer"), False),
    ("", schema(type="string", enum=["CLA", "CP"]), False),
    ("CP", schema(type="string", enum=["CLA", "CP"]), True),
    ("", schema(type="integer"), False),
    ("0", schema(type="integer", minimum=1), False),
    ("True", schema(type="boolean"), False),
    ("true", schema(type="boolean"), True),
    ("2024-02-30", schema(type="string", format="date"), False),
    ("awaiting_response", schema(type="array", items={"type": "string", "enum": ["awaiting_response"]}), True),
    (["nope"], schema(type="array", items={"type": "string", "enum": ["awaiting_response"]}), False),
    (None, schema(type="string"), False),
    ('"disputeresolution-1-2"', schema(type="string", pattern=r'^(\*|(W/)?"[!#-~]*")$'), True),
    ("disputeresolution-1-2", schema(type="string", pattern=r'^(\*|(W/)?"[!#-~]*")$'), False),
])
def test_a_parameter_is_negative_only_when_invalid_as_sent(value, definition, valid):
    assert _parameter_valid_as_sent(value, definition) is valid
