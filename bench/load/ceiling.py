"""The ceiling: the cheapest request a Footprint gunicorn worker can answer.

``GET /healthz/`` goes through the whole middleware stack (security, sessions, CSRF,
authentication, login-required, messages...) and returns ``{"status": "ok"}`` without a
database query. Run beside the app paths by ``bench/load_test.py``, it shows how much of the
app's throughput is the framework and the server, and how much is the pages' own work.
No think time: each simulated client sends its next request as soon as the last returns.
"""

from locust import FastHttpUser, constant, task


class HealthCheck(FastHttpUser):
    wait_time = constant(0)
    default_headers = {"X-Forwarded-Proto": "https"}

    @task
    def healthz(self):
        with self.client.get("/healthz/", name="GET /healthz/", catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200 or response.text != '{"status": "ok"}':
                response.failure(f"HTTP {response.status_code} {(response.text or '')[:100]!r}")
