"""Pages of the import and export of the offer, for the coordination of the territory."""

import tempfile

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render

from cite_emploi.accounts.permissions import require_role

from .forms_offer import OfferExportForm, OfferImportForm
from .models import Organisation, Service
from .offer_export import FORMATS, export_offer, filename_for
from .offer_import import OfferFile, import_offer


@require_role("coordinator")
def offer_io(request):
    territory = request.scope.territory
    services = Service.objects.in_territory(territory)
    incomplete = services.filter(quality_score__isnull=True).select_related("organisation").order_by("name")
    return render(
        request,
        "partners/offer/io.html",
        {
            "title": "Import et export de l'offre",
            "formats": [(key, label, suffix) for key, (label, suffix, _) in FORMATS.items()],
            "organisation_count": Organisation.objects.in_territory(territory).count(),
            "service_count": services.count(),
            "incomplete": incomplete[:20],
            "incomplete_count": incomplete.count(),
        },
    )


@require_role("coordinator")
def offer_export(request):
    form = OfferExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Format d'export inconnu : choisissez JSON, CSV ou XLSX.")
        return redirect("partners:offer_io")
    territory, fmt = request.scope.territory, form.cleaned_data["format"]
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    export_offer(territory, fmt, out, by=request.user, request=request)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=filename_for(territory, fmt), content_type=FORMATS[fmt][2]
    )


@require_role("coordinator")
def offer_import(request):
    report = None
    if request.method == "POST":
        form = OfferImportForm(request.POST, request.FILES)
        if form.is_valid():
            report = import_offer(
                OfferFile.from_upload(form.cleaned_data["fichier"]),
                territory=request.scope.territory,
                partial=form.cleaned_data["partiel"],
                dry_run=form.cleaned_data["simulation"],
                by=request.user,
                request=request,
            )
    else:
        form = OfferImportForm()
    return render(
        request,
        "partners/offer/import.html",
        {"title": "Importer l'offre de services", "form": form, "report": report},
    )
