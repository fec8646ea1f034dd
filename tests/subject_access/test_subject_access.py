"""Subject access requests: who may handle them, what is found, redaction of third parties in
every file released, the disclosure decision (required, logged, append-only) and downloads."""

import csv
import io
import json
import re
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from config.navigation import navigation
from drp import services as drp_services
from drp.models import Theme
from positive_practice import services as pp_services
from subject_access import services
from subject_access.models import DisclosureDecision, Download, SubjectAccessRequest
from subject_access.selectors import records_for
from workflows.models import CaseRead

from tests.support.auth import login
from tests.support.lado_fixtures import in_progress, non_do_users

pytestmark = pytest.mark.django_db
Decision = DisclosureDecision.Decision


def raise_drp(org, children, **kw):
    args = dict(actor=org.iro, children=children, case_type="CLA",
                themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    args.update(kw)
    return drp_services.drp_raise(**args)


@pytest.fixture
def child_case(org):
    """Amy's records: a DRP shared with her brother Ben, responded to, and positive practice naming
    a foster carer; a DRP about another child that must not appear."""
    drp = raise_drp(org, [org.child, org.sibling],
                    concern="Amy and Ben's placement is at risk. <script>alert('x')</script>")
    drp_services.drp_respond(drp=drp, actor=org.social_worker, response="=cmd|' /C calc'!A0 visits weekly")
    pp = pp_services.positive_practice_record(
        actor=org.iro, children=[org.child], case_type="CLA", what_happened="Mrs Patel kept Amy's school place",
        impact="Amy stayed at her school", practitioner_name="Mrs Patel")
    unrelated = raise_drp(org, [org.other_child], concern="Zed's plan has drifted")
    return drp, pp, unrelated


def start_child(org, actor=None):
    return services.request_start(actor=actor or org.iro_manager, requester_name="Amy Example",
                                  received_on=date(2024, 3, 1), child=org.child)


def _zip(response) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_only_the_two_managers_handle_requests_and_each_only_their_kind(org, client, child_case):
    enquiry = in_progress(org, subject_name="Robert Miles")
    child_sar = start_child(org)
    do_sar = services.request_start(actor=org.do_manager, requester_name="Robert Miles",
                                    received_on=date(2024, 3, 1), enquiry=enquiry)
    for user in non_do_users(org) + [org.designated_officer]:
        if user == org.iro_manager:
            continue
        login(client, user)
        for url in ("/subject-access/", "/subject-access/start/", f"/subject-access/{child_sar.pk}/",
                    f"/subject-access/{child_sar.pk}/decision/"):
            assert client.get(url).status_code == 403, (user.username, url)
    # An IRO Manager never sees a DO subject's request, and the DO Manager never a child's.
    login(client, org.iro_manager)
    assert client.get(f"/subject-access/{do_sar.pk}/").status_code == 404
    assert "Robert Miles" not in client.get("/subject-access/").content.decode()
    assert client.post(f"/subject-access/{do_sar.pk}/download/").status_code == 404
    login(client, org.do_manager)
    assert client.get(f"/subject-access/{child_sar.pk}/").status_code == 404
    assert "Amy Example" not in client.get("/subject-access/").content.decode()
    with pytest.raises(PermissionDenied):
        start_child(org, actor=org.do_manager)
    with pytest.raises(PermissionDenied):
        services.request_start(actor=org.iro_manager, requester_name="X", received_on=date(2024, 3, 1),
                               enquiry=enquiry)
    with pytest.raises(PermissionDenied):
        records_for(org.iro_manager, do_sar)


def test_starting_a_request_from_the_page(org, client, child_case):
    login(client, org.iro_manager)
    data = {"kind": "child", "requester_name": "Amy Example", "received_on_0": "1", "received_on_1": "3",
            "received_on_2": "2024", "subject": "Example"}
    page = client.post("/subject-access/start/", data)
    # Amy and Ben both match the name: the page asks which.
    assert page.status_code == 200 and "Which child is the request about?" in page.content.decode()
    response = client.post("/subject-access/start/", {**data, "choice": str(org.child.pk)})
    sar = SubjectAccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/subject-access/{sar.pk}/"
    assert (sar.child, sar.requester_name, sar.received_on, sar.started_by) == (
        org.child, "Amy Example", date(2024, 3, 1), org.iro_manager)
    assert sar.history.get().history_user == org.iro_manager
    missing = client.post("/subject-access/start/", {**data, "subject": "Nobody Here"})
    assert missing.status_code == 400 and "No child has that case reference or name" in missing.content.decode()
    future = client.post("/subject-access/start/", {**data, "received_on_2": "2999", "choice": str(org.child.pk)})
    assert future.status_code == 400 and SubjectAccessRequest.objects.count() == 1


def test_the_preview_shows_every_record_escaped_and_logs_the_reads(org, client, child_case):
    drp, pp, unrelated = child_case
    sar = start_child(org)
    login(client, org.iro_manager)
    body = client.get(f"/subject-access/{sar.pk}/").content.decode()
    assert drp.reference in body and pp.reference in body and "Child record C000001" in body
    assert "Stages" in body and "Timeline" in body and "visits weekly" in body
    assert unrelated.reference not in body and "Zed" not in body
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    # Ben (another child on the shared DRP) is redacted by default, even in the preview.
    assert "Ben Example" not in body and "C000002" not in body and "[redacted]" in body
    assert "Ben Example" in client.get(f"/subject-access/{sar.pk}/?show=original").content.decode()
    reads = set(CaseRead.objects.filter(user=org.iro_manager, view="subject_access:detail")
                .values_list("case_kind", "case_id"))
    assert {("drp.disputeresolution", drp.pk), ("positive_practice.positivepractice", pp.pk),
            ("children.child", org.child.pk)} <= reads


def test_third_parties_are_listed_with_other_children_ticked(org, client, child_case):
    sar = start_child(org)
    found = records_for(org.iro_manager, sar)
    names = {party.name: party for party in found.third_parties}
    assert {"Ben Example", "Mrs Patel", str(org.iro), str(org.social_worker)} <= set(names)
    assert "Amy Example" not in names
    assert names["Ben Example"].redact_by_default and names["Ben Example"].terms == ["Ben Example", "C000002"]
    assert not names["Mrs Patel"].redact_by_default
    login(client, org.iro_manager)
    page = client.get(f"/subject-access/{sar.pk}/redactions/").content.decode()
    ticked = {re.search(r'value="([^"]+)"', tag).group(1): "checked" in tag
              for tag in re.findall(r'<input[^>]*name="redact"[^>]*>', page)}
    assert ticked == {party.key: party.name == "Ben Example" for party in found.third_parties}
    assert "Mrs Patel" in page


def test_other_children_are_redacted_by_default_in_the_download(org, client, child_case):
    sar = start_child(org)
    login(client, org.iro_manager)
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_WITH_REDACTIONS,
                                                       "reason": "Other children's data removed"})
    files = _zip(client.post(f"/subject-access/{sar.pk}/download/"))
    text = "".join(files.values())
    assert "Ben Example" not in text and "C000002" not in text and "Amy Example" in text


def test_decision_is_required_before_download_and_needs_a_reason(org, client, child_case):
    sar = start_child(org)
    login(client, org.iro_manager)
    refused = client.post(f"/subject-access/{sar.pk}/download/")
    assert refused.status_code == 409 and "no disclosure decision" in refused.content.decode()
    no_reason = client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_WITH_REDACTIONS})
    assert no_reason.status_code == 400 and "Enter the reason for the decision" in no_reason.content.decode()
    assert not DisclosureDecision.objects.exists() and not Download.objects.exists()
    # Other children are redacted by default, so a release in full is refused until they are unticked.
    full = client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_IN_FULL,
                                                              "reason": "Nothing to withhold"})
    assert full.status_code == 400 and "Redactions are chosen" in full.content.decode()
    assert client.get(f"/subject-access/{sar.pk}/download/").status_code == 405


def test_withholding_blocks_the_download(org, client, child_case):
    sar = start_child(org)
    login(client, org.iro_manager)
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.WITHHOLD,
                                                       "reason": "Prejudice to an ongoing investigation"})
    decision = DisclosureDecision.objects.get()
    assert (decision.decision, decision.decided_by, decision.reason) == (
        Decision.WITHHOLD, org.iro_manager, "Prejudice to an ongoing investigation")
    response = client.post(f"/subject-access/{sar.pk}/download/")
    assert response.status_code == 409 and "withheld" in response.content.decode()
    assert "Download records" not in client.get(f"/subject-access/{sar.pk}/").content.decode()
    assert not Download.objects.exists()


def test_redaction_is_applied_in_every_file_of_the_zip(org, client, child_case):
    drp, pp, _ = child_case
    sar = start_child(org)
    login(client, org.iro_manager)
    found = records_for(org.iro_manager, sar)
    keys = {party.name: party.key for party in found.third_parties}
    saved = client.post(f"/subject-access/{sar.pk}/redactions/", {
        "redact": [keys["Ben Example"], keys["Mrs Patel"], keys[str(org.social_worker)]],
        "terms": "school place\n"})
    assert saved.status_code == 302
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_WITH_REDACTIONS,
                                                       "reason": "Third-party data removed"})
    decision = DisclosureDecision.objects.get()
    assert {n["name"] for n in decision.redactions["names"]} == {"Ben Example", "Mrs Patel", str(org.social_worker)}
    assert decision.redactions["terms"] == ["school place"]
    response = client.post(f"/subject-access/{sar.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    files = _zip(response)
    assert "00-cover-sheet.html" in files and "data.json" in files and "data.csv" in files
    documents = [name for name in files if name.startswith("records/")]
    assert len(documents) == 3  # the child record, the DRP, the positive practice
    for name, text in files.items():
        lowered = text.lower()
        for secret in ("Ben Example", "C000002", "Mrs Patel", str(org.social_worker), "school place"):
            assert secret.lower() not in lowered, (name, secret)
        if name.endswith(".html"):  # self-contained and escaped (JSON and CSV hold the text as data)
            assert "http://" not in text and "https://" not in text and "<script" not in lowered, name
            assert "<link" not in lowered and " src=" not in lowered, name
    assert "[redacted]" in files["data.json"] and "[redacted]" in files["data.csv"]
    # The subject and their records are still there, escaped.
    drp_file = next(text for name, text in files.items() if drp.reference in name)
    assert "Amy Example" in drp_file and "&lt;script&gt;" in drp_file
    data = json.loads(files["data.json"])
    assert [r["reference"] for r in data["records"]] == ["C000001", drp.reference, pp.reference]
    rows = list(csv.reader(io.StringIO(files["data.csv"])))
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(cell.startswith("'=cmd") for row in rows for cell in row)
    cover = files["00-cover-sheet.html"]
    assert sar.reference in cover and "Release with redactions" in cover and "[redacted]" in cover
    download = Download.objects.get()
    assert (download.request, download.decision, download.downloaded_by) == (sar, decision, org.iro_manager)
    assert len(download.sha256) == 64 and download.size == len(response.content)


def test_release_in_full_once_the_manager_unticks_the_other_child(org, client, child_case):
    sar = start_child(org)
    login(client, org.iro_manager)
    client.post(f"/subject-access/{sar.pk}/redactions/", {"terms": ""})
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_IN_FULL,
                                                       "reason": "Ben's parent consented"})
    files = _zip(client.post(f"/subject-access/{sar.pk}/download/"))
    assert "Ben Example" in "".join(files.values())
    client.post(f"/subject-access/{sar.pk}/download/")
    assert Download.objects.count() == 2
    assert CaseRead.objects.filter(view="subject_access:download", case_kind="children.child").count() == 2


def test_decisions_and_downloads_are_append_only(org, client, child_case):
    sar = start_child(org)
    decision = services.decision_record(actor=org.iro_manager, sar=sar, decision=Decision.WITHHOLD,
                                        reason="Investigation")
    assert decision.history.get().history_user == org.iro_manager
    with pytest.raises(TypeError):
        decision.save()
    with pytest.raises(TypeError):
        decision.delete()
    with pytest.raises(TypeError):
        DisclosureDecision.objects.filter(pk=decision.pk).update(reason="changed")
    with pytest.raises(TypeError):
        Download.objects.all().delete()
    with pytest.raises(ValidationError):
        services.decision_record(actor=org.iro_manager, sar=sar, decision=Decision.WITHHOLD, reason="  ")
    # A later decision is added beside the first; the latest stands.
    services.request_set_redactions(actor=org.iro_manager, sar=sar, keys=[], terms="")
    services.decision_record(actor=org.iro_manager, sar=sar, decision=Decision.RELEASE_IN_FULL,
                             reason="Investigation closed")
    assert DisclosureDecision.objects.filter(request=sar).count() == 2
    name, content, _ = services.download_prepare(actor=org.iro_manager, sar=sar)
    assert name == f"{sar.reference}-records.zip" and content[:2] == b"PK"


def test_do_subject_request_finds_matching_enquiries_only_for_the_do_manager(org, client):
    first = in_progress(org, subject_name="Robert Miles", summary="Grabbed a pupil's arm")
    second = in_progress(org, subject_name="robert  miles", summary="Shouted at a pupil")
    other = in_progress(org, subject_name="Someone Else", subject_employer="Elsewhere",
                        subject_date_of_birth=date(1970, 1, 1), summary="Unrelated")
    login(client, org.do_manager)
    data = {"kind": "do-subject", "requester_name": "Robert Miles", "received_on_0": "1", "received_on_1": "3",
            "received_on_2": "2024", "subject": first.reference}
    response = client.post("/subject-access/start/", data)
    sar = SubjectAccessRequest.objects.get()
    assert response.status_code == 302 and sar.enquiry == first and sar.kind == "do-subject"
    body = client.get(f"/subject-access/{sar.pk}/").content.decode()
    assert first.reference in body and second.reference in body and other.reference not in body
    assert "Meetings" in body and "Timeline" in body
    found = records_for(org.do_manager, sar)
    names = {party.name for party in found.third_parties}
    assert {"Jane Head", "DS Lee", "Anita Kaur"} <= names and "Robert Miles" not in names
    keys = [p.key for p in found.third_parties if p.name in ("Jane Head", "DS Lee")]
    client.post(f"/subject-access/{sar.pk}/redactions/", {"redact": keys})
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": Decision.RELEASE_WITH_REDACTIONS,
                                                       "reason": "Third-party data removed"})
    files = _zip(client.post(f"/subject-access/{sar.pk}/download/"))
    text = "".join(files.values())
    assert "Jane Head" not in text and "DS Lee" not in text and "Robert Miles" in text
    assert "Grabbed a pupil" in text and "Shouted at a pupil" in text and "Unrelated" not in text
    # The IRO Manager cannot start, see or download it.
    login(client, org.iro_manager)
    assert client.post("/subject-access/start/", data).status_code in (400, 403)
    assert client.get(f"/subject-access/{sar.pk}/").status_code == 404


def test_menu_items(org, rf):
    def items(user):
        request = rf.get("/")
        request.user = user
        return [item["text"] for item in navigation(request)["nav_items"]]

    assert "Subject access" in items(org.iro_manager) and "Subject access" in items(org.do_manager)
    assert "Subject access" not in items(org.designated_officer) and "Subject access" not in items(org.iro)
