"""Pages of imported statistics (« Données »): list, import, detail, deletion, file templates.

Thin: parse the request, call ``services_datasets`` or ``queries_datasets``, render. The coordination
imports and deletes; elected members and funders read (public statistics, no personal data). A
dataset of another territory is a 404.

The error report of the last rejected or partial import is kept in the session (which lives in the
database, so any process can serve the download), compressed and capped at ``REPORT_MAX_CHARS``:
beyond, its first lines are kept and the rest counted.
"""

import base64
import binascii
import gzip
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from cite_emploi.accounts.permissions import require_role

from . import datasets
from . import queries_datasets as queries
from . import services_datasets as services
from .forms_datasets import DatasetImportForm

READERS = ("coordinator", "elected", "funder")
MANAGERS = ("coordinator",)
PAGE_SIZE = 25
SHOWN_ERRORS = 200
REPORT_KEY = "diagnostic_dataset_report"
REPORT_MAX_CHARS = 512 * 1024
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _can_manage(scope) -> bool:
    return scope.is_platform_admin or scope.has_role(*MANAGERS)


def _pack(errors, hidden: int) -> str:
    return base64.b64encode(gzip.compress(datasets.errors_csv(errors, hidden))).decode("ascii")


def _keep_report(request, *, file_name: str, errors, error_count: int, error_lines: int, dataset_id=None):
    kept = len(errors)
    packed = _pack(errors, error_count - kept)
    while len(packed) > REPORT_MAX_CHARS and kept > SHOWN_ERRORS:
        kept //= 2
        packed = _pack(errors[:kept], error_count - kept)
    request.session[REPORT_KEY] = {
        "file_name": file_name,
        "dataset": dataset_id,
        "error_count": error_count,
        "error_lines": error_lines,
        "shown": [[e.line, e.column, e.value, e.message] for e in errors[:SHOWN_ERRORS]],
        "csv": packed,
    }


def _report_rows(report: dict) -> list[datasets.LineError]:
    return [datasets.LineError(*row) for row in report.get("shown", [])]


@require_role(*READERS)
def dataset_list(request):
    scope = request.scope
    page = Paginator(queries.datasets(scope.territory), PAGE_SIZE).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render(
        request,
        "diagnostic/datasets/list.html",
        {"title": "Données statistiques importées", "page_obj": page, "can_manage": _can_manage(scope)},
    )


@require_role(*MANAGERS)
def dataset_import(request):
    territory = request.scope.territory
    rejected = None
    if request.method == "POST":
        form = DatasetImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload, data = form.cleaned_data["fichier"], form.cleaned_data
            try:
                outcome = services.import_dataset(
                    territory,
                    file_name=Path(upload.name).name,
                    data=upload.read(),
                    title=data["titre"],
                    source=data["source"],
                    licence=data["licence"],
                    url=data["url"],
                    description=data["description"],
                    by=request.user,
                    partial=data["partiel"],
                )
            except services.DatasetRejected as exc:
                rejected = exc
                request.session.pop(REPORT_KEY, None)
                if exc.errors:
                    _keep_report(
                        request,
                        file_name=upload.name,
                        errors=exc.errors,
                        error_count=exc.error_count,
                        error_lines=exc.error_lines,
                    )
            except services.DatasetError as exc:
                form.add_error(None, exc.message)
            else:
                return _imported(request, outcome, upload.name)
    else:
        form = DatasetImportForm()
    return render(
        request,
        "diagnostic/datasets/import.html",
        {
            "title": "Importer des statistiques",
            "form": form,
            "rejected": rejected,
            "shown_errors": rejected.errors[:SHOWN_ERRORS] if rejected else [],
            "not_shown": rejected.error_count - min(len(rejected.errors), SHOWN_ERRORS) if rejected else 0,
        },
    )


def _imported(request, outcome, file_name: str):
    request.session.pop(REPORT_KEY, None)
    count = outcome.imported
    messages.success(
        request, f"{count} observation{'s' if count > 1 else ''} importée{'s' if count > 1 else ''}."
    )
    if outcome.rejected_lines:
        _keep_report(
            request,
            file_name=file_name,
            errors=outcome.errors,
            error_count=outcome.error_count,
            error_lines=outcome.rejected_lines,
            dataset_id=outcome.dataset.pk,
        )
        n = outcome.rejected_lines
        messages.warning(
            request,
            f"{n} ligne{'s' if n > 1 else ''} en erreur écartée{'s' if n > 1 else ''} : le détail est ci-dessous.",
        )
    for warning in outcome.warnings:
        messages.info(request, warning)
    return redirect("diagnostic:dataset", outcome.dataset.pk)


@require_role(*MANAGERS)
def dataset_import_errors(request):
    report = request.session.get(REPORT_KEY)
    try:
        content = gzip.decompress(base64.b64decode(report["csv"])) if report else None
    except (KeyError, TypeError, ValueError, binascii.Error, OSError, EOFError):
        content = None
    if content is None:
        messages.info(request, "Aucun rapport d'erreurs en attente : il concerne le dernier fichier déposé.")
        return redirect("diagnostic:dataset_import")
    name = slugify(Path(str(report.get("file_name", ""))).stem) or "fichier"
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="erreurs-{name}.csv"'
    return response


@require_role(*READERS)
def dataset_detail(request, pk):
    scope = request.scope
    dataset = queries.get_dataset(scope.territory, pk)
    report = request.session.get(REPORT_KEY) or {}
    if report.get("dataset") != dataset.pk:
        report = {}
    return render(
        request,
        "diagnostic/datasets/detail.html",
        {
            "title": dataset.title,
            "dataset": dataset,
            "indicators": queries.indicators(dataset),
            "sample": queries.sample(dataset),
            "sample_size": queries.SAMPLE_SIZE,
            "can_manage": _can_manage(scope),
            "report": report,
            "report_rows": _report_rows(report) if report else [],
        },
    )


@require_role(*MANAGERS)
def dataset_delete(request, pk):
    dataset = queries.get_dataset(request.scope.territory, pk)
    if request.method == "POST":
        services.delete_dataset(dataset, by=request.user)
        report = request.session.get(REPORT_KEY) or {}
        if report.get("dataset") == pk:
            request.session.pop(REPORT_KEY, None)
        messages.success(
            request, f"Le jeu de données « {dataset.title} » et ses observations ont été supprimés."
        )
        return redirect("diagnostic:datasets")
    return render(
        request,
        "diagnostic/datasets/delete.html",
        {"title": "Supprimer un jeu de données", "dataset": dataset},
    )


@require_role(*MANAGERS)
def dataset_template(request, fmt):
    if fmt not in TEMPLATE_TYPES:
        raise Http404("Format inconnu.")
    territory = request.scope.territory
    content = datasets.template_xlsx(territory) if fmt == "xlsx" else datasets.template_csv(territory)
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="modele-statistiques.{fmt}"'
    return response
