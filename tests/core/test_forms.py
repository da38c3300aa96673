"""Every DSFR form of the platform shares the process's one form renderer (``core.forms``)."""

import importlib
import inspect
from pathlib import Path

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


def test_a_form_renders_with_the_one_renderer():
    from cite_emploi.accounts.forms import LoginForm

    assert LoginForm().renderer is RENDERER
