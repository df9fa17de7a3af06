"""Keep portal tokens out of the logs.

A portal URL (`/portail/<token>/…`) is a bearer secret: whoever has it may sign for the
client. Django logs request paths (4xx/5xx in `django.request`, every request in
`django.server`), so those records are rewritten before any handler sees them.
Imported by the logging configuration, before the apps are ready: no model imports here.
"""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/portail/)[A-Za-z0-9_\-]{8,}")
MASK = r"\1[jeton-masqué]"


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(MASK, text)


class RedactPortalTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to break
            return True
        if "/portail/" in message:
            record.msg = redact(message)
            record.args = ()
        request = getattr(record, "request", None)
        if request is not None and "/portail/" in getattr(request, "path", ""):
            # Handlers such as AdminEmailHandler format the request itself.
            record.request = None
        return True
