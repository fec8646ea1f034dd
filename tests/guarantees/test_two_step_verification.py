"""Two-step verification: required for the DO team (set up, code after the password, malformed
codes, changing authenticator), optional for everyone else, and asked for by the token endpoint."""

import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from people import two_step
from tests.support.auth import login, totp_device
from tests.support.problems import field_errors
from tests.support.signing_in import PASSWORD, code_for, code_from_secret, sign_in, wrong_code

pytestmark = pytest.mark.django_db


# --- two-step verification: the DO team ------------------------------------------------------

def test_a_do_without_an_authenticator_is_sent_to_set_one_up_then_reaches_the_tray(org, client):
    response = sign_in(client, "designated-officer", next_url="/lado/")
    assert response.status_code == 302 and response.url == "/lado/"
    response = client.get("/lado/")
    assert response.status_code == 302
    assert response.url == "/accounts/two-step/set-up/?next=%2Flado%2F"
    # Every other page too, the API included; signing out still works.
    assert client.get("/children/").url.startswith("/accounts/two-step/set-up/")
    api = client.get("/api/v1/lado/enquiries/")
    assert api.status_code == 403 and "Two-step verification" in api.json()["detail"]

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Set up two-step verification" in html and "Designated Officer work needs" in html
    assert '<svg class="app-qr-code" role="img"' in html
    secret = re.search(r'<code class="app-secret-key__value" id="secret-key">([A-Z2-7 ]+)</code>',
                       html).group(1)
    device = TOTPDevice.objects.get(user=org.designated_officer)
    assert not device.confirmed and secret == two_step.secret_key(device)
    assert client.get(response.url).content.decode().count(secret) == 1  # same key on reload

    response = client.post("/accounts/two-step/set-up/", {"code": code_from_secret(secret),
                                                          "next": "/lado/"})
    assert response.status_code == 302 and response.url == "/lado/"
    device.refresh_from_db()
    assert device.confirmed
    tray = client.get("/lado/")
    assert tray.status_code == 200 and "Work tray" in tray.content.decode()
    assert client.get("/api/v1/lado/enquiries/").status_code == 200


def test_a_do_with_an_authenticator_enters_a_code_after_the_password(org, client):
    device = totp_device(org.do_manager)
    sign_in(client, "do-manager", next_url="/lado/")
    response = client.get("/lado/")
    assert response.url == "/accounts/two-step/verify/?next=%2Flado%2F"
    # Setting up a second authenticator is not a way round the code.
    assert client.get("/accounts/two-step/set-up/").url == "/accounts/two-step/"
    assert client.get("/accounts/two-step/").url.startswith("/accounts/two-step/verify/")
    assert TOTPDevice.objects.filter(user=org.do_manager).count() == 1

    page = client.get(response.url).content.decode()
    assert "Enter your security code" in page
    assert 'href="/lado/"' not in page  # no service navigation until the code is in

    refused = client.post("/accounts/two-step/verify/", {"code": wrong_code(device), "next": "/lado/"})
    assert refused.status_code == 200
    assert "The code is not right or has expired" in refused.content.decode()
    assert client.get("/lado/").status_code == 302
    # Straight after a wrong code even the right one must wait (django-otp's throttling).
    throttled = client.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/lado/"})
    assert "too many wrong codes" in throttled.content.decode()

    time.sleep(1.1)
    response = client.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/lado/"})
    assert response.status_code == 302 and response.url == "/lado/"
    tray = client.get("/lado/")
    assert tray.status_code == 200 and "Work tray" in tray.content.decode()


@pytest.mark.parametrize("code, error", [("", "Enter the 6-digit code"), ("12345", "6 numbers"),
                                         ("abcdef", "6 numbers")])
def test_a_malformed_code_is_named(org, client, code, error):
    totp_device(org.designated_officer)
    sign_in(client, "designated-officer")
    response = client.post("/accounts/two-step/verify/", {"code": code})
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html and 'href="#id_code"' in html and "Error: Enter your security code" in html


def test_the_code_page_only_returns_to_this_site(org, client):
    device = totp_device(org.designated_officer)
    sign_in(client, "designated-officer")
    response = client.post("/accounts/two-step/verify/", {
        "code": code_for(device), "next": "https://evil.example/lado/"})
    assert response.status_code == 302 and response.url == "/"


def test_a_do_changing_authenticator_sets_up_a_new_one_straight_away(org, client):
    login(client, org.designated_officer)
    refused = client.post("/accounts/two-step/turn-off/", {"password": "not-my-password"})
    assert "The password is not right" in refused.content.decode()
    response = client.post("/accounts/two-step/turn-off/", {"password": PASSWORD})
    assert response.url == "/accounts/two-step/set-up/"
    assert not TOTPDevice.objects.filter(user=org.designated_officer).exists()
    assert client.get("/lado/").url.startswith("/accounts/two-step/set-up/")


# --- two-step verification: optional for everyone else --------------------------------------

def test_anyone_can_turn_on_two_step_and_is_then_asked_for_a_code(org, client):
    login(client, org.iro)
    assert "Off" in client.get("/accounts/two-step/").content.decode()
    assert client.get("/drps/").status_code == 200  # optional: no code needed yet
    page = client.get("/accounts/two-step/set-up/").content.decode()
    assert "style=" not in page.split('<svg class="app-qr-code"')[1].split("</svg>")[0]
    device = TOTPDevice.objects.get(user=org.iro, confirmed=False)
    response = client.post("/accounts/two-step/set-up/", {"code": code_for(device)})
    assert response.url == "/accounts/two-step/"
    assert "On" in client.get("/accounts/two-step/").content.decode()
    assert client.get("/drps/").status_code == 200  # this session entered the code

    other = Client()
    sign_in(other, "iro")
    assert other.get("/drps/").url == "/accounts/two-step/verify/?next=%2Fdrps%2F"
    response = other.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/drps/"})
    assert response.url == "/drps/"
    assert other.get("/drps/").status_code == 200

    # Turned off with the password: signing in needs no code again.
    assert client.post("/accounts/two-step/turn-off/", {"password": PASSWORD}).url == "/accounts/two-step/"
    third = Client()
    sign_in(third, "iro")
    assert third.get("/drps/").status_code == 200


def test_an_authenticator_removed_since_sign_in_asks_for_no_code(org, client):
    """Say an administrator removed it: the person is not sent round in circles."""
    device = totp_device(org.iro)
    sign_in(client, "iro")
    assert client.get("/drps/").url.startswith("/accounts/two-step/verify/")
    device.delete()
    response = client.get("/accounts/two-step/verify/?next=/drps/")
    assert response.url == "/drps/"
    assert client.get("/drps/").status_code == 200


# --- the API token ----------------------------------------------------------------------------

def test_the_token_endpoint_asks_for_the_code_when_two_step_is_on(org):
    api = APIClient()
    assert "token" in api.post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD}).json()

    device = totp_device(org.iro)
    response = api.post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD})
    assert response.status_code == 400 and "otp_token" in field_errors(response)
    response = api.post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD,
                                              "otp_token": wrong_code(device)})
    assert response.status_code == 400
    assert field_errors(response)["otp_token"] == ["The code is not right or has expired."]
    time.sleep(1.1)  # past the throttle after a wrong code
    response = api.post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD,
                                              "otp_token": code_for(device)})
    assert response.status_code == 200 and response.json()["token"]


def test_the_do_team_needs_an_authenticator_for_a_token_and_then_the_token_works(org):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "designated-officer", "password": PASSWORD})
    assert response.status_code == 400
    assert ("Designated Officer roles and administrators must use two-step verification"
            in field_errors(response)["otp_token"][0])

    device = totp_device(org.designated_officer)
    response = api.post("/api/v1/auth/token/", {"username": "designated-officer", "password": PASSWORD,
                                              "otp_token": code_for(device)}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/lado/enquiries/").status_code == 200
