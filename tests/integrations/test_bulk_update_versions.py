"""A bulk change is a change: a queryset ``update()`` on a versioned record (DRP, positive
practice, child, DO case, DO action) and an import's bulk update move its ``version`` and
``updated_at`` on, so an ETag read before no longer matches (If-Match: 412)."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from children.models import Child
from drp import services
from drp.models import DisputeResolution, Theme
from lado.models import Action, Enquiry
from positive_practice.models import PositivePractice
from tests.support.auth import api_token
from tests.support.import_files import TODAY, drp_row, run
from tests.support.lado_fixtures import log
from workflows.clocks import now

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raised(org):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def test_an_etag_read_before_a_bulk_update_no_longer_matches(org):
    drp = raised(org)
    iro = client_for(org.iro)
    read = iro.get(f"/api/v1/drps/{drp.pk}/")
    before = DisputeResolution.objects.get(pk=drp.pk)
    assert DisputeResolution.objects.filter(pk=drp.pk).update(stage_due_date=drp.stage_due_date + timedelta(days=7)) == 1
    after = DisputeResolution.objects.get(pk=drp.pk)
    assert after.version == before.version + 1 and after.updated_at >= before.updated_at
    refused = iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert refused.status_code == 412
    assert iro.get(f"/api/v1/drps/{drp.pk}/")["ETag"] == f'"{after.etag}"' != read["ETag"]


#: A field of each versioned record a bulk update might change.
CHANGES = {Child: {"name": "Renamed"}, DisputeResolution: {"concern": "Changed"},
           PositivePractice: {"impact": "Changed"}, Enquiry: {"summary": "Changed"}, Action: {"notes": "Changed"}}


@pytest.mark.parametrize("model", list(CHANGES))
def test_every_versioned_records_bulk_update_moves_its_version(org, model):
    """Every versioned model's default manager bumps the version and stamps the time."""
    raised(org)
    enquiry = log(org)
    Action.objects.create(enquiry=enquiry, kind=Action.Kind.values[0], owner_name="Employer",
                          recorded_by=org.designated_officer)
    PositivePractice.objects.create(reference="PP-T1", case_type="CLA", recorded_by=org.iro, what_happened="x",
                                    impact="y", practitioner=org.social_worker, recorded_on=TODAY)
    versions = dict(model.objects.values_list("pk", "version"))
    assert versions
    stamp = now()
    assert model.objects.filter(pk__in=versions).update(**CHANGES[model]) == len(versions)
    for pk, version, updated_at in model.objects.values_list("pk", "version", "updated_at"):
        assert version == versions[pk] + 1 and updated_at >= stamp


def test_bulk_update_moves_each_records_version(org):
    first, second = raised(org), raised(org)
    first.concern, second.concern = "One", "Two"
    DisputeResolution.objects.bulk_update([first, second], ["concern"])
    assert (first.version, second.version) == (2, 2)
    assert list(DisputeResolution.objects.order_by("pk").values_list("concern", "version")) == [("One", 2), ("Two", 2)]


def test_an_import_updating_a_drp_moves_its_version(org):
    closed = {"status": "resolved", "closed_on": TODAY.isoformat()}  # an import never changes an open DRP
    run(org, "drp", [drp_row(**closed)])
    drp = DisputeResolution.objects.get(reference="H-1")
    read = client_for(org.iro_manager).get(f"/api/v1/drps/{drp.pk}/")
    assert read.status_code == 200
    result = run(org, "drp", [drp_row(case_type="CP", **closed)])
    assert result.updated == 1
    drp.refresh_from_db()
    assert drp.case_type == "CP" and f'"{drp.etag}"' != read["ETag"]
    assert drp.history.first().version == drp.version  # the history row is the row as it now stands
