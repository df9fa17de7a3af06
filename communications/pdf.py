"""PDF rendering with WeasyPrint, with the fonts we ship (static/fonts), so a document
looks the same on every machine whatever fonts the host has."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

FONTS_DIR = Path(settings.BASE_DIR) / "static" / "fonts"

#: Included by every PDF template (`{{ pdf_fonts_css }}` inside a <style>), before its own CSS.
FONT_FACES = "\n".join(
    f'@font-face {{ font-family: "{family}"; src: url("{(FONTS_DIR / file).as_uri()}"); '
    f"font-weight: {weight}; font-style: {style}; }}"
    for family, file, weight, style in (
        ("Jalon Sans", "DejaVuSans.ttf", 400, "normal"),
        ("Jalon Sans", "DejaVuSans-Bold.ttf", 700, "normal"),
        ("Jalon Sans", "DejaVuSans-Oblique.ttf", 400, "italic"),
        ("Jalon Mono", "DejaVuSansMono.ttf", 400, "normal"),
    )
)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF bytes. Remote URLs are never fetched."""
    from weasyprint import HTML  # heavy import: only when a PDF is actually made
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, {**context, "pdf_fonts_css": FONT_FACES, "agency_name": settings.AGENCY_NAME})
    # Only our own files: a PDF never depends on (or leaks to) a remote server.
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
