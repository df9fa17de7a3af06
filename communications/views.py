from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from communications import tone
from projects.rules import is_agency


@login_required
@require_POST
def tone_check(request: HttpRequest) -> HttpResponse:
    """htmx: the tone guide's warnings while a PM writes to a client (R20)."""
    if not is_agency(request.user):
        raise Http404
    if not request.htmx:
        # A fragment alone would leave the user on a bare snippet: back to the editor.
        referer = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure())
        return redirect(referer if referer and safe else "home")
    warnings = tone.check_email(subject=request.POST.get("subject", ""), body=request.POST.get("body_text", ""))
    return render(request, "communications/_tone_warnings.html", {"warnings": warnings})
