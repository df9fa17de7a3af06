"""The HTTP probe: standard library only (http.client + ssl), short timeouts.

Why no dependency: we need one GET, the status, the peer certificate's expiry and a
timing, and to refuse redirects to anything but http(s); `http.client` gives all of it
and exposes the TLS socket, which `requests` hides.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

TIMEOUT_S = 5.0
MAX_REDIRECTS = 5
MAX_BODY = 64 * 1024
USER_AGENT = "Jalon-probe/1.0 (+verification de mise en ligne)"


@dataclass
class ProbeResult:
    url: str
    final_url: str = ""
    reachable: bool = False
    status_code: int | None = None
    response_ms: int | None = None
    https: bool = False
    tls_valid: bool | None = None
    tls_expires_at: datetime | None = None
    tls_days_left: int | None = None
    error: str = ""
    body: bytes = field(default=b"", repr=False)


class ProbeError(Exception):
    pass


def _connection(parts, *, timeout: float, ssl_context: ssl.SSLContext | None):
    host = parts.hostname
    if not host:
        raise ProbeError("URL sans nom d'hôte")
    if parts.scheme == "https":
        return http.client.HTTPSConnection(host, parts.port or 443, timeout=timeout, context=ssl_context or ssl.create_default_context())
    return http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)


def _cert_expiry(conn) -> datetime | None:
    sock = getattr(conn, "sock", None)
    if not isinstance(sock, ssl.SSLSocket):
        return None
    cert = sock.getpeercert()
    if not cert or "notAfter" not in cert:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), tz=UTC)


def _request(url: str, *, method: str, body: bytes | None, headers: dict[str, str], timeout: float,
             ssl_context: ssl.SSLContext | None):
    parts = urlsplit(url)
    conn = _connection(parts, timeout=timeout, ssl_context=ssl_context)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.connect()
        expiry = _cert_expiry(conn)  # now: http.client drops the socket once a closing response is read
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = conn.getresponse()
        data = response.read(MAX_BODY)
        return response.status, dict(response.getheaders()), data, expiry
    finally:
        conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"Certificat TLS refusé : {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"Erreur TLS : {exc.reason or exc}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"Pas de réponse en {TIMEOUT_S:g} s"
    if isinstance(exc, socket.gaierror):
        return "Nom de domaine introuvable (DNS)"
    if isinstance(exc, ConnectionRefusedError):
        return "Connexion refusée"
    return f"{type(exc).__name__} : {exc}"[:300]


def probe_url(url: str, *, timeout: float = TIMEOUT_S, ssl_context: ssl.SSLContext | None = None,
              now: datetime | None = None) -> ProbeResult:
    """GET `url`, following at most MAX_REDIRECTS redirects to http(s) only."""
    result = ProbeResult(url=url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        result.error = "Seules les adresses http:// et https:// sont vérifiées"
        return result
    result.https = parts.scheme == "https"
    started = time.monotonic()
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body, expiry = _request(current, method="GET", body=None, headers={}, timeout=timeout, ssl_context=ssl_context)
            if current == url and result.https:
                result.tls_valid = True  # the default context verified chain and host name
                result.tls_expires_at = expiry
            location = {k.lower(): v for k, v in headers.items()}.get("location")
            if status in (301, 302, 303, 307, 308) and location:
                nxt = urljoin(current, location)
                if urlsplit(nxt).scheme not in ("http", "https"):
                    raise ProbeError(f"Redirection refusée vers un schéma non http(s) : {nxt[:100]}")
                current = nxt
                continue
            result.status_code = status
            result.final_url = current
            result.body = body
            result.reachable = 200 <= status < 400
            if not result.reachable:
                result.error = f"Réponse HTTP {status}"
            break
        else:
            raise ProbeError(f"Plus de {MAX_REDIRECTS} redirections")
    except ProbeError as exc:
        result.error = str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if result.https and isinstance(exc, ssl.SSLError) and result.tls_valid is None:
            result.tls_valid = False
        result.error = _describe(exc)
    result.response_ms = int((time.monotonic() - started) * 1000)
    if result.tls_expires_at is not None:
        result.tls_days_left = (result.tls_expires_at - (now or datetime.now(tz=UTC))).days
    return result


def post_json(url: str, *, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_S) -> tuple[int, str]:
    """POST a JSON body once, no redirects. Returns (status, first KiB of the answer)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ProbeError("Le webhook doit être une adresse http:// ou https://")
    status, _headers, data, _ = _request(
        url, method="POST", body=body, headers={"Content-Type": "application/json", **headers}, timeout=timeout, ssl_context=None
    )
    return status, data[:1024].decode("utf-8", "replace")


def error_rate_from_json(body: bytes) -> float:
    """The error rate (a proportion 0..1) from a metrics endpoint's JSON answer."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("la réponse n'est pas un objet JSON")
    if "error_rate" in data:
        rate = float(data["error_rate"])
    elif "errors" in data and "requests" in data:
        requests = float(data["requests"])
        rate = float(data["errors"]) / requests if requests else 0.0
    else:
        raise ValueError('ni "error_rate" ni "errors"/"requests" dans la réponse')
    if not 0 <= rate <= 1:
        raise ValueError(f"taux d'erreur hors de [0, 1] : {rate}")
    return rate
