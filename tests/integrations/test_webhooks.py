"""Signed webhooks against a real receiver (an HTTP server in a thread): the signature checks
out, a delivery answered 500 is retried, and no subscriber gets an event it may not see."""

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from drp import services
from drp.models import Theme
from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.tasks import deliver_due_webhooks
from lado import services as do_services
from tests.support.auth import api_token
from tests.support.problems import field_errors

pytestmark = [pytest.mark.django_db,
              pytest.mark.usefixtures("webhook_settings")]


@pytest.fixture
def webhook_settings():
    # The local receiver is on the loopback address, which only an allow-listed host may use.
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_RETRY_SECONDS=0,
                           FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"]):
        yield


class Receiver:
    """A local receiver: records each POST and answers with the next status queued (200 when
    none is)."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: queue.Queue[int] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.answers.get_nowait() if not receiver.answers.empty() else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[dict]:
        return [r for r in self.received if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def subscribe(user, url, **extra):
    response = client_for(user).post("/api/v1/webhooks/", {"name": "Case system", "url": url, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def raise_drp(org):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def test_a_signed_delivery_is_retried_after_a_500_and_arrives_once(org, receiver,
                                                                   django_capture_on_commit_callbacks):
    subscription = subscribe(org.iro_manager, receiver.url("/drp"))
    receiver.answers.put(500)
    with django_capture_on_commit_callbacks(execute=True):
        drp = raise_drp(org)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert deliver_due_webhooks.delay().get() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert deliver_due_webhooks.delay().get() == 0  # delivered: not sent again
    posts = receiver.at("/drp")
    assert len(posts) == 2 and posts[0]["body"] == posts[1]["body"]
    last = posts[-1]
    assert webhooks.verify(subscription["secret"], last["headers"]["Footprint-Signature"], last["body"])
    assert not webhooks.verify("another secret", last["headers"]["Footprint-Signature"], last["body"])
    event = json.loads(last["body"])
    assert (event["type"], event["reference"], event["data"]["drp"]) == ("drp.raised", drp.reference, drp.pk)
    assert last["headers"]["Footprint-Event"] == "drp.raised"
    log = client_for(org.iro_manager).get(f"/api/v1/webhooks/{subscription['id']}/deliveries/").json()["results"]
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 200]


def test_a_receiver_that_cannot_be_reached_is_tried_again_later(org, receiver, django_capture_on_commit_callbacks):
    subscribe(org.iro_manager, "http://127.0.0.1:9/nothing-listens-here")
    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None and delivery.last_error


def test_no_subscriber_gets_an_event_it_may_not_see(org, receiver, django_capture_on_commit_callbacks):
    subscribe(org.iro_manager, receiver.url("/casework"))
    subscribe(org.iro_manager, receiver.url("/escalations"), event_types=["drp.escalated"])
    subscribe(org.do_manager, receiver.url("/do"), scope="do")
    with django_capture_on_commit_callbacks(execute=True):
        drp = raise_drp(org)
        services.drp_escalate(drp=drp, actor=org.iro, reason="x")
        do_services.enquiry_log(actor=org.designated_officer, summary="Concern about a coach")
    def types(path):
        return [json.loads(r["body"])["type"] for r in receiver.at(path)]
    assert types("/casework") == ["drp.raised", "drp.escalated"]
    assert types("/escalations") == ["drp.escalated"]
    assert types("/do") == ["do.logged"]


def test_only_managers_manage_subscriptions_in_their_own_area(org, receiver):
    url = receiver.url("/x")
    assert client_for(org.iro).post("/api/v1/webhooks/", {"name": "x", "url": url}, format="json").status_code == 403
    assert client_for(org.iro_manager).post("/api/v1/webhooks/", {"name": "x", "url": url, "scope": "do"},
                                            format="json").status_code == 403
    assert client_for(org.do_manager).post("/api/v1/webhooks/", {"name": "x", "url": url},
                                           format="json").status_code == 403
    assert client_for(org.designated_officer).get("/api/v1/webhooks/").status_code == 403
    do = subscribe(org.do_manager, url, scope="do")
    assert "secret" in do and "secret" not in client_for(org.do_manager).get(f"/api/v1/webhooks/{do['id']}/").json()
    assert client_for(org.iro_manager).get(f"/api/v1/webhooks/{do['id']}/").status_code == 404
    assert client_for(org.iro_manager).get("/api/v1/webhooks/").json()["results"] == []
    bad = client_for(org.do_manager).post("/api/v1/webhooks/", {"name": "x", "url": url, "scope": "do",
                                                             "event_types": ["drp.raised"]}, format="json")
    assert bad.status_code == 400 and "event_types" in field_errors(bad)


def test_receivers_must_use_https(org):
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=False):
        response = client_for(org.iro_manager).post("/api/v1/webhooks/", {"name": "x", "url": "http://example.org/"},
                                                    format="json")
    assert response.status_code == 400 and "url" in field_errors(response)


def test_a_cancelled_subscription_gets_nothing_more(org, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(org.iro_manager, receiver.url("/gone"))
    assert client_for(org.iro_manager).delete(f"/api/v1/webhooks/{subscription['id']}/").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
    assert receiver.at("/gone") == []
