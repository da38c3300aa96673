"""Every DSFR form of the platform shares the process's one form renderer (``core.forms``)."""

import importlib
import inspect
from pathlib import Path

from django import forms as django_forms
from dsfr.forms import DsfrBaseForm

import cite_emploi
from cite_emploi.core.forms import RENDERER, DsfrForm


def form_modules():
    root = Path(cite_emploi.__file__).parent
    for path in sorted(root.rglob("forms*.py")):
        yield importlib.import_module("cite_emploi." + ".".join(path.relative_to(root).with_suffix("").parts))


def test_every_dsfr_form_derives_from_the_platform_form():
    forms = [
        cls
        for module in form_modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, DsfrBaseForm) and cls.__module__ == module.__name__
    ]
    assert len(forms) > 30
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, DsfrForm)] == []


# Not shown as fields: mixins of DSFR forms, and forms that only parse a request.
NOT_RENDERED = {"PlaceFields", "AddressFields", "OfferExportForm", "TerritorySwitchForm"}


def test_every_form_shown_on_a_page_is_a_dsfr_form():
    """A plain ``forms.Form`` renders its fields without the DSFR's classes (an unstyled date box)."""
    plain = [
        cls.__qualname__
        for module in form_modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, django_forms.BaseForm)
        and cls.__module__ == module.__name__
        and not issubclass(cls, DsfrForm)
    ]
    assert sorted(set(plain) - NOT_RENDERED) == []


def test_a_form_renders_with_the_one_renderer():
    from cite_emploi.accounts.forms import LoginForm

    assert LoginForm().renderer is RENDERER
