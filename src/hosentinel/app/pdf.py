"""HTML to PDF with WeasyPrint (imported on first use: it takes a moment to load)."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """A PDF of a self-contained HTML page (styles inline, no images or external links to
    fetch: without a base URL, relative references resolve to nothing)."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # no type hints shipped

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
