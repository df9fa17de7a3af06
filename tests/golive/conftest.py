"""Fixtures of the go-live tests: a local HTTP server playing the production site, the
metrics endpoint and the traffic webhook receiver (which checks the HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from communications.models import EmailTemplate

GOLIVE_TEMPLATES = {
    "follow_up_reminder": ("J+7 à faire : {{ project.name }}", "Le J+7 de {{ delivery.title }} est dû le {{ due_at }}. {{ delivery_url }}"),
    "follow_up_escalation": ("J+7 en retard : {{ project.name }}", "Toujours ouvert. {{ delivery_url }}"),
    "rollout_step_manual": ("Trafic à {{ percent }} % : {{ project.name }}", "Réglez {{ percent }} % puis confirmez : {{ confirm_url }}"),
    "rollout_halted": ("Déploiement suspendu : {{ project.name }}", "Suspendu à {{ percent }} % : {{ reason }}"),
    "rollout_completed": ("Déploiement terminé : {{ project.name }}", "100 % : {{ delivery_url }}"),
}


def ensure_email_templates() -> None:
    for key, (subject, body) in GOLIVE_TEMPLATES.items():
        EmailTemplate.objects.get_or_create(
            key=key, defaults={"name": key, "subject": subject, "body_text": body, "client_facing": False}
        )


@pytest.fixture
def email_templates(db):
    ensure_email_templates()


@dataclass
class FakeProduction:
    """What the local server answers; tests change these attributes between steps."""

    site_status: int = 200
    error_rate: float = 0.0
    webhook_status: int = 200
    webhook_secret: str = ""
    webhook_calls: list[dict] = field(default_factory=list)
    redirect_to: str = ""
    base_url: str = ""

    @property
    def site_url(self) -> str:
        return self.base_url + "/"

    @property
    def metrics_url(self) -> str:
        return self.base_url + "/metrics"

    @property
    def webhook_url(self) -> str:
        return self.base_url + "/traffic"


def _handler(state: FakeProduction):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, ctype: str = "text/html", headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/metrics":
                self._send(200, json.dumps({"error_rate": state.error_rate}).encode(), "application/json")
            elif self.path == "/" and state.redirect_to:
                self._send(302, b"", headers={"Location": state.redirect_to})
            else:
                self._send(state.site_status, b"<h1>Site du client</h1>")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = "sha256=" + hmac.new(state.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(self.headers.get("X-Jalon-Signature", ""), expected)
            state.webhook_calls.append({"path": self.path, "signed": signed, "json": json.loads(body)})
            if not signed:
                self._send(401, b'{"error": "bad signature"}', "application/json")
            else:
                self._send(state.webhook_status, b'{"applied": true}', "application/json")

    return Handler


@pytest.fixture
def fake_production():
    state = FakeProduction()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
