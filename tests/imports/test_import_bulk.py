"""The bulk write (``imports.bulk``: COPY on PostgreSQL) leaves exactly what Django's own
``bulk_create`` with history leaves: the same records, links, stage records, history rows and
timeline events, on creating and on re-importing (issue 15, import speed).

On PostgreSQL the two paths differ (COPY and UPDATE ... FROM a staging table, against
``bulk_create_with_history`` and one UPDATE per record); on SQLite both are Django's, so there
the test holds the engine to the same result twice."""

from datetime import timedelta

from children.models import Child
from drp.models import DisputeResolution, StageRecord
from drp.models import TimelineEvent as DrpEvent
from imports import bulk
from lado.models import Enquiry
from lado.models import TimelineEvent as LadoEvent
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpEvent
from tests.support.import_files import PAST, TODAY, drp_row, lado_row, pp_row, run

SKIP = {"id", "history_id", "history_date", "at", "created_at", "updated_at", "drp", "drp_id", "enquiry_id", "positive_practice_id",
        "imported_from", "history_change_reason", "note", "concern", "summary", "cancel_reason"}


def _plain(values: dict, prefix: str) -> dict:
    """A row without its ids and times, its reference without the path's prefix."""
    out = {}
    for name, value in values.items():
        if name in SKIP:
            continue
        if name == "reference" and isinstance(value, str):
            value = value.removeprefix(prefix)
        out[name] = value
    return out


def _snapshot(prefix: str) -> dict:
    shot = {}
    for drp in DisputeResolution.objects.filter(reference__startswith=prefix).order_by("reference"):
        key = drp.reference.removeprefix(prefix)
        shot[("drp", key)] = {
            "row": _plain(DisputeResolution.objects.values().get(pk=drp.pk), prefix),
            "children": sorted(ref.removeprefix(prefix) for ref in drp.children.values_list("reference", flat=True)),
            "themes": sorted(drp.themes.values_list("slug", flat=True)),
            "teams": sorted(drp.teams.values_list("slug", flat=True)),
            "stages": [_plain(r, prefix) for r in StageRecord.objects.filter(drp=drp).order_by("id").values()],
            "stage history": [_plain(r, prefix) for r in StageRecord.history.filter(drp_id=drp.pk)
                              .order_by("history_id").values()],
            "history": [_plain(r, prefix) for r in drp.history.order_by("history_id").values()],
            "timeline": [_plain(r, prefix) for r in DrpEvent.objects.filter(drp=drp).order_by("id").values()],
        }
    for pp in PositivePractice.objects.filter(reference__startswith=prefix):
        shot[("pp", pp.reference.removeprefix(prefix))] = {
            "row": _plain(PositivePractice.objects.values().get(pk=pp.pk), prefix),
            "children": sorted(ref.removeprefix(prefix) for ref in pp.children.values_list("reference", flat=True)),
            "history": [_plain(r, prefix) for r in pp.history.order_by("history_id").values()],
            "timeline": [_plain(r, prefix) for r in PpEvent.objects.filter(positive_practice=pp).values()]}
    for enquiry in Enquiry.objects.filter(reference__startswith=prefix):
        row = _plain(Enquiry.objects.values().get(pk=enquiry.pk), prefix)
        row.pop("received_at")
        shot[("do", enquiry.reference.removeprefix(prefix))] = {
            "row": row,
            "history": [{k: v for k, v in _plain(r, prefix).items() if k != "received_at"}
                        for r in enquiry.history.order_by("history_id").values()],
            "timeline": [_plain(r, prefix) for r in LadoEvent.objects.filter(enquiry=enquiry).values()]}
    return shot


def _differing(one, other):
    """Where two snapshots of one part differ (field by field for rows), for the message."""
    if isinstance(one, dict) and isinstance(other, dict):
        return {name: (one.get(name), other.get(name)) for name in one.keys() | other.keys()
                if one.get(name) != other.get(name)}
    if isinstance(one, list) and isinstance(other, list) and len(one) == len(other):
        return [_differing(a, b) for a, b in zip(one, other)]
    return (one, other)


def _files(prefix: str):
    closed = {"status": "resolved", "closed_on": TODAY.isoformat()}
    drps = [drp_row(reference=f"{prefix}A", **closed),
            drp_row(reference=f"{prefix}B", start_stage="stage-2", team="", child_references=f"{prefix}NEW-1;C000001",
                    status="withdrawn", closed_on=TODAY.isoformat(), closed_at_stage="stage-3"),
            drp_row(reference=f"{prefix}C", themes="placement", raised_on=(PAST - timedelta(days=7)).isoformat())]
    again = [drp_row(reference=f"{prefix}A", status="withdrawn", closed_on=TODAY.isoformat(), themes="placement",
                     start_stage="stage-1", closed_at_stage="stage-2"),
             drp_row(reference=f"{prefix}B", start_stage="stage-2", team="south-1",
                     child_references=f"{prefix}NEW-1", status="resolved", closed_on=TODAY.isoformat())]
    pps = [pp_row(reference=f"{prefix}PP-1"), pp_row(reference=f"{prefix}PP-2", team="",
                                                        child_references=f"C000001;{prefix}NEW-2")]
    dos = [lado_row(reference=f"{prefix}DO-1", threshold_met="no", decided_on=PAST.isoformat()),
           lado_row(reference=f"{prefix}DO-2"),
           lado_row(reference=f"{prefix}DO-3", threshold_met="yes", decided_on=PAST.isoformat(),
                    concluded_on=TODAY.isoformat(), outcome="unfounded")]
    return drps, again, pps, dos


def _import_everything(org, prefix: str) -> None:
    drps, again, pps, dos = _files(prefix)
    for kind, rows in (("drp", drps), ("drp", again), ("positive_practice", pps), ("lado", dos)):
        result = run(org, kind, rows, create_children=True)
        assert result.errors == [], result.errors


def test_bulk_write_equals_djangos_bulk_create_with_history(org, monkeypatch):
    _import_everything(org, "F-")  # the database's fast path (COPY on PostgreSQL)
    monkeypatch.setattr(bulk, "fast", lambda: False)
    _import_everything(org, "D-")  # Django's bulk_create with history, everywhere
    fast, django = _snapshot("F-"), _snapshot("D-")
    assert len(fast) == 3 + 2 + 3
    assert fast.keys() == django.keys()
    differences = [(key, part, _differing(fast[key][part], django[key][part])) for key in fast
                   for part in fast[key] if fast[key][part] != django[key][part]]
    assert not differences
    assert len(fast[("drp", "A")]["history"]) == 2 and fast[("drp", "A")]["history"][1]["history_type"] == "~"
    assert {r["history_user_id"] for r in fast[("drp", "A")]["history"]} == {org.iro_manager.pk}
    made = Child.objects.get(reference="F-NEW-1")
    assert made.history.get().history_change_reason == "Imported from records.csv"


def test_imported_records_take_keys_the_app_can_follow(org):
    """Keys drawn for COPY come from the table's own sequence: a record saved afterwards in
    Footprint gets the next one, with no clash."""
    run(org, "drp", [drp_row(reference="K-1"), drp_row(reference="K-2")])
    imported = DisputeResolution.objects.get(reference="K-2")
    first_event = DrpEvent.objects.get(drp=imported)
    later = DrpEvent.objects.create(drp=imported, actor=org.iro, action="note")
    assert later.pk > first_event.pk
    assert DisputeResolution.objects.order_by("pk").last() == imported


def _links(drp) -> dict:
    """The DRP's links, each kind as {what it names: the link row's id}."""
    return {name: dict(getattr(DisputeResolution, name).through.objects.filter(disputeresolution=drp)
                       .values_list(column, "id"))
            for name, column in (("children", "child_id"), ("themes", "theme_id"), ("teams", "team_id"))}


def test_a_reimport_keeps_the_links_it_still_has_and_changes_only_the_rest(org):
    """As ``themes.set(...)`` does: links the row still names keep their rows (nothing deleted and
    added back, so the report counts' triggers have nothing to undo), lost ones go, new ones come."""
    closed = {"status": "resolved", "closed_on": TODAY.isoformat()}
    assert run(org, "drp", [drp_row(reference="L-1", **closed)], create_children=True).errors == []
    drp = DisputeResolution.objects.get(reference="L-1")
    before = _links(drp)
    placement, drift = (drp.themes.get(slug=slug).pk for slug in ("placement", "drift-and-delay"))
    first, second = (Child.objects.get(reference=ref).pk for ref in ("C000001", "C000002"))
    assert set(before["themes"]) == {placement, drift} and set(before["children"]) == {first, second}

    again = drp_row(reference="L-1", themes="placement;health", child_references="C000001", **closed)
    assert run(org, "drp", [again], create_children=True).errors == []
    after = _links(drp)
    health = drp.themes.get(slug="health").pk
    assert set(after["themes"]) == {placement, health}
    assert after["themes"][placement] == before["themes"][placement]  # kept, not re-made
    assert after["themes"][health] not in before["themes"].values()
    assert after["children"] == {first: before["children"][first]}
    assert after["teams"] == before["teams"] != {}

    # The same file again changes no link at all.
    assert run(org, "drp", [again], create_children=True).errors == []
    assert _links(drp) == after
