"""PDF documents from HTML templates, through WeasyPrint: the same HTML serves the page and the PDF."""

from django.template.loader import render_to_string


class PdfUnavailable(Exception):
    """WeasyPrint, or the system libraries it needs (pango), is missing; the message is French."""


def render_pdf(template: str, context: dict) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            "La génération de PDF n'est pas disponible sur ce serveur (WeasyPrint absent) : utilisez l'export tableur."
        ) from error
    return HTML(string=render_to_string(template, context)).write_pdf()
