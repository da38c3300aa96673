from django.http import Http404
from django.shortcuts import render

from . import help as help_pages


def help_index(request):
    return render(request, "core/help_index.html", {"guides": help_pages.guides(), "title": "Aide"})


def help_page(request, slug):
    guide = help_pages.guide(slug)
    if guide is None:
        raise Http404("Cette page d'aide n'existe pas.")
    return render(request, "core/help_page.html", {"guide": guide, "title": guide.title})


def accessibility(request):
    return render(request, "core/accessibility.html", {"title": "Déclaration d'accessibilité"})


def personal_data(request):
    return render(request, "core/personal_data.html", {"title": "Données personnelles"})


def sources(request):
    return render(request, "core/sources.html", {"title": "Sources des données"})


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "Vous n'avez pas accès à cette page."
    return render(request, "403.html", {"message": message, "title": "Accès refusé"}, status=403)
