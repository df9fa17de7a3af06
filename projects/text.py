"""Reading free text straight from a request (search boxes, htmx fields outside a form)."""

from __future__ import annotations


def plain_text(value: str | None, *, max_length: int | None = None) -> str:
    """Trimmed text without NUL characters, cut to `max_length`.

    Django forms refuse NUL themselves; values read from `request.GET` / `request.POST`
    directly must drop it here, or PostgreSQL rejects the query with a 500.
    """
    text = (value or "").replace("\x00", "").strip()
    return text[:max_length] if max_length is not None else text
