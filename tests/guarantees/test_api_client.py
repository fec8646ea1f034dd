"""An integrator's first hour, in CI: generate a typed client from the schema the server serves
(openapi-python-client, the most used Python generator), import every module it wrote, sign in
with it and run a DRP through its lifecycle (raise, respond, escalate, respond, resolve)
against a live server. Offline: the generator runs locally, the only network is localhost."""

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from drp.models import DisputeResolution

PASSWORD = "footprint-test"
PACKAGE = "footprint_generated_client"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def generator() -> str:
    found = shutil.which("openapi-python-client") or str(Path(sys.executable).with_name("openapi-python-client"))
    if not Path(found).exists():
        pytest.fail("openapi-python-client is not installed: pip install -e '.[test]'")
    return found


@pytest.fixture
def client_package(live_server, org, tmp_path, monkeypatch):
    """The generated package, importable, built from the live server's own schema."""
    token = httpx.post(f"{live_server.url}/api/v1/auth/token/",
                       json={"username": "iro", "password": PASSWORD}).json()["token"]
    schema = httpx.get(f"{live_server.url}/api/v1/schema/?format=json",
                       headers={"Authorization": f"Token {token}"})
    assert schema.status_code == 200, schema.text
    (tmp_path / "schema.json").write_text(schema.text)
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")  # no formatter needed to import it
    result = subprocess.run(
        [generator(), "generate", "--path", str(tmp_path / "schema.json"), "--meta", "none",
         "--output-path", str(tmp_path / PACKAGE), "--config", str(tmp_path / "config.yaml")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_generated_client_imports_signs_in_and_runs_the_drp_lifecycle(client_package, live_server, org):
    package = client_package
    modules = [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    for name in modules:
        importlib.import_module(name)  # none fails (issue 14: 18 of 40 did, with NameError)
    operations = [name for name in modules if ".api." in name and name.count(".") == 3]
    assert len(operations) >= 40, operations

    client_module = importlib.import_module(f"{PACKAGE}.client")
    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    token_create = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")
    drps = {name: importlib.import_module(f"{PACKAGE}.api.drps.drps_{name}")
            for name in ("create", "respond_create", "escalate_create", "resolve_create", "retrieve", "list")}
    assert api is not None

    def signed_in(username: str):
        # Signing in needs no credentials: the plain Client, a JSON body.
        answer = token_create.sync(client=client_module.Client(base_url=live_server.url),
                                   body=models.TokenRequestRequest(username=username, password=PASSWORD))
        assert isinstance(answer, models.TokenResponse), answer
        assert answer.expires.tzinfo is not None
        return client_module.AuthenticatedClient(base_url=live_server.url, token=answer.token, prefix="Token")

    iro, social_worker, team_manager = signed_in("iro"), signed_in("social-worker"), signed_in("team-manager")

    raised = drps["create"].sync(client=iro, body=models.RaiseRequest(
        children=[org.child.pk], case_type=models.CaseTypeEnum.CLA, themes=["placement"],
        concern="The plan has drifted"))
    # The raise answers the DRP with any warnings (a child who already has an open DRP).
    assert isinstance(raised, models.Raised) and raised.warnings == [], raised
    responded = drps["respond_create"].sync(raised.id, client=social_worker,
                                            body=models.RespondRequest(response="Meeting booked"))
    assert isinstance(responded, models.DisputeResolution), responded
    escalated = drps["escalate_create"].sync(raised.id, client=iro, body=models.EscalateRequest(reason="Not done"))
    assert (escalated.stage, escalated.status) == ("stage-1", models.DrpStatusEnum.AWAITING_RESPONSE)
    drps["respond_create"].sync(raised.id, client=team_manager, body=models.RespondRequest(response="Doing it"))
    resolved = drps["resolve_create"].sync(raised.id, client=iro, body=models.ResolveRequest(
        outcome="Plan agreed", impact="Seen weekly", impact_codes=["plan-changed"],
        child_informed=True, advocacy_offered=False))
    assert resolved.status == models.DrpStatusEnum.RESOLVED and resolved.closed_at_stage == "stage-1"
    assert [event.action for event in resolved.timeline] == [
        "raised", "responded", "escalated", "responded", "resolved"]

    # A refusal comes back typed too: the problem, with its stable code.
    refused = drps["escalate_create"].sync_detailed(raised.id, client=iro, body=models.EscalateRequest(reason="x"))
    assert refused.status_code == 409 and isinstance(refused.parsed, models.Problem)
    assert refused.parsed.code == "transition_refused"
    listed = drps["list"].sync(client=iro, child=org.child.pk, limit=10)
    assert [drp.id for drp in listed.results] == [raised.id]
    assert DisputeResolution.objects.get(pk=raised.id).status == DisputeResolution.Status.RESOLVED
