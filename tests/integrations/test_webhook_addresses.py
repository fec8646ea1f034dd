"""Webhooks go only to public addresses: a subscription to a private, loopback, link-local or
multicast address is refused (400 naming ``url``) unless its host is allow-listed, and each
delivery checks the address again (a name may point inside the network later: DNS rebinding)."""

import socket

import pytest
from django.test import override_settings

from integrations.addresses import RefusedAddress, checked_address
from integrations.models import WebhookDelivery
from integrations.webhooks import deliver
from tests.integrations.test_webhooks import client_for, raise_drp, receiver, subscribe  # noqa: F401 - fixture
from tests.support.problems import field_errors

pytestmark = pytest.mark.django_db

INSIDE = ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.0.7/",
          "http://172.16.5.5/", "http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/",
          "http://[::1]/hook", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
          "http://100.64.0.1/"]


@pytest.mark.parametrize("url", INSIDE)
def test_a_subscription_to_an_address_inside_the_network_is_400_naming_the_url(org, url):
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=[]):
        response = client_for(org.iro_manager).post("/api/v1/webhooks/", {"name": "x", "url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "private, loopback, link-local or multicast" in field_errors(response)["url"][0]


def test_a_public_address_is_accepted_and_an_allow_listed_host_may_be_private():
    assert checked_address("https://93.184.216.34/hook") == "93.184.216.34"
    with pytest.raises(RefusedAddress):
        checked_address("http://127.0.0.1:9/")
    with override_settings(FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"]):
        assert checked_address("http://127.0.0.1:9/") == "127.0.0.1"
    with override_settings(FOOTPRINT_WEBHOOK_ALLOWED_HOSTS="localhost, 10.0.0.5"):
        assert checked_address("http://10.0.0.5/") == "10.0.0.5"


def test_a_name_that_cannot_be_found_is_refused(org):
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True):
        response = client_for(org.iro_manager).post(
            "/api/v1/webhooks/", {"name": "x", "url": "https://no-such-host.invalid/hook"}, format="json")
    assert response.status_code == 400 and "could not be found" in field_errors(response)["url"][0]


def _one_delivery(org, receiver, django_capture_on_commit_callbacks, url_host: str):  # noqa: F811
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=[url_host]):
        subscribe(org.iro_manager, receiver.url("/hook").replace("127.0.0.1", url_host))
    with django_capture_on_commit_callbacks(execute=False):  # the delivery is written, not yet sent
        raise_drp(org)
    return WebhookDelivery.objects.get()


def test_a_delivery_is_not_sent_once_its_host_is_no_longer_allowed(org, receiver,  # noqa: F811
                                                                     django_capture_on_commit_callbacks):
    delivery = _one_delivery(org, receiver, django_capture_on_commit_callbacks, "127.0.0.1")
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=[]):
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert receiver.received == []
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error.startswith("Not sent: 127.0.0.1 is a private")


def test_a_name_rebound_to_a_private_address_after_subscribing_gets_nothing(
        org, receiver, django_capture_on_commit_callbacks, monkeypatch):  # noqa: F811
    """The name answered a public address when subscribed and the loopback one at delivery:
    the resolver stands in for a DNS server that changes its answer (we cannot run one here)."""
    real = socket.getaddrinfo
    answers = {"hooks.example.org": "93.184.216.34"}

    def resolver(host, port, *args, **kwargs):
        if host in answers:
            return real(answers[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=[]):
        subscribe(org.iro_manager, f"http://hooks.example.org:{receiver.server.server_address[1]}/hook")
        with django_capture_on_commit_callbacks(execute=False):
            raise_drp(org)
        answers["hooks.example.org"] = "127.0.0.1"  # rebound
        deliver(WebhookDelivery.objects.get().pk)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert "hooks.example.org is a private" in delivery.last_error


def test_a_delivery_connects_to_the_address_it_checked(org, receiver, django_capture_on_commit_callbacks,  # noqa: F811
                                                       monkeypatch):
    """A name allow-listed and resolved once: the POST goes to that address, with the name as Host."""
    real = socket.getaddrinfo
    lookups = []

    def resolver(host, port, *args, **kwargs):
        if host == "receiver.internal":
            lookups.append(host)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    delivery = _one_delivery(org, receiver, django_capture_on_commit_callbacks, "receiver.internal")
    lookups.clear()
    with override_settings(FOOTPRINT_WEBHOOK_ALLOW_HTTP=True, FOOTPRINT_WEBHOOK_ALLOWED_HOSTS=["receiver.internal"]):
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered", delivery.last_error
    assert lookups == ["receiver.internal"]  # looked up once: the check's answer is the one used
    assert receiver.received[0]["headers"]["Host"].startswith("receiver.internal:")
