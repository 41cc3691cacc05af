"""Render a page with the shared Jinja2 environment (typed, so handlers stay typed)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from hosentinel.app.deps import Viewer


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def render_page(
    request: Request,
    viewer: Viewer,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """A page for the signed-in viewer: `user` and `csrf` (what `base.html` and every form
    need) are added to the context here, once."""
    full = {"user": viewer.user, "csrf": viewer.csrf_token, **context}
    return render(request, template, full, status_code)
