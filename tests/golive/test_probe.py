"""Probes (R11): status, TLS validity and days left, response time, recorded on the items."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading

import pytest

from checklists.models import DeliveryItem
from delivery.golive import services
from delivery.golive.models import Probe
from delivery.golive.probe import probe_url
from delivery.models import HistoryEntry, HistoryKind
from projects.vocabulary import Stage
from tests.factories import put_in_stage


def test_it_measures_a_reachable_site(fake_production):
    result = probe_url(fake_production.site_url)
    assert result.reachable and result.status_code == 200
    assert result.response_ms is not None and result.response_ms < 5000
    assert result.https is False and result.tls_valid is None


def test_it_reports_a_server_error(fake_production):
    fake_production.site_status = 503
    result = probe_url(fake_production.site_url)
    assert not result.reachable and result.status_code == 503 and "503" in result.error


def test_it_never_follows_a_redirect_to_another_scheme(fake_production):
    fake_production.redirect_to = "file:///etc/passwd"
    result = probe_url(fake_production.site_url)
    assert not result.reachable and "non http" in result.error


def test_it_refuses_non_http_urls():
    assert "http" in probe_url("ftp://example.org/").error


def test_it_reports_a_refused_connection():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = probe_url(f"http://127.0.0.1:{port}/", timeout=1)
    assert not result.reachable and result.error == "Connexion refusée"


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate valid 30 days."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", cert
    server.shutdown()


def test_it_reads_the_certificate_expiry_when_trusted(tls_site):
    url, cert = tls_site
    result = probe_url(url, ssl_context=ssl.create_default_context(cafile=str(cert)))
    assert result.reachable and result.tls_valid is True
    assert result.tls_days_left in (29, 30)


def test_it_flags_an_untrusted_certificate(tls_site):
    url, _ = tls_site
    result = probe_url(url)
    assert not result.reachable and result.tls_valid is False
    assert "Certificat TLS refusé" in result.error


@pytest.mark.django_db
def test_r11_a_passing_probe_ticks_site_accessible_with_its_evidence(delivery, partner_user, fake_production):
    project = delivery.project
    project.production_url = fake_production.site_url
    project.save(update_fields=["production_url"])
    put_in_stage(delivery, Stage.GO_LIVE)
    probe = services.probe_run(delivery_id=delivery.pk, user=partner_user)
    assert probe.reachable and probe.actor == partner_user
    site = DeliveryItem.objects.get(delivery=delivery, stage=Stage.GO_LIVE, label="Site accessible")
    https = DeliveryItem.objects.get(delivery=delivery, stage=Stage.GO_LIVE, label="HTTPS OK")
    assert site.done and "HTTP 200" in site.comment and site.evidence_url == fake_production.site_url
    assert not https.done  # plain http: HTTPS is not OK
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.PROBE).exists()


@pytest.mark.django_db
def test_r11_a_failing_probe_ticks_nothing(delivery, pm, fake_production):
    fake_production.site_status = 500
    delivery.project.production_url = fake_production.site_url
    delivery.project.save(update_fields=["production_url"])
    put_in_stage(delivery, Stage.GO_LIVE)
    probe = services.probe_run(delivery_id=delivery.pk, user=pm)
    assert not probe.reachable
    assert not DeliveryItem.objects.filter(delivery=delivery, stage=Stage.GO_LIVE, done=True).exists()
    assert Probe.objects.count() == 1


@pytest.mark.django_db
def test_it_asks_for_the_production_url_first(delivery, pm):
    from django.core.exceptions import ValidationError

    delivery.project.production_url = ""
    delivery.project.save(update_fields=["production_url"])
    with pytest.raises(ValidationError):
        services.probe_run(delivery_id=delivery.pk, user=pm)


@pytest.mark.django_db
def test_it_forbids_another_partner_to_probe(delivery, other_partner_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.probe_run(delivery_id=delivery.pk, user=other_partner_user)
