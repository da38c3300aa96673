"""The base of every DSFR form of the platform: one form renderer per process.

``dsfr.forms.DsfrBaseForm.default_renderer`` returns the renderer *class*, so Django builds a new
renderer for every form instance, hence a new template engine that loads and parses the DSFR field
templates again: 5 to 7 ms of CPU for each form on each page (« mes bénéficiaires », a person's
page, the catalogue), most of the cost of the forms. One instance keeps the templates compiled, as Django's own
``get_default_renderer()`` does. It picks the same renderer as ``DsfrBaseForm`` would.
"""

from django.conf import global_settings, settings
from django.forms.renderers import get_default_renderer
from dsfr.forms import DsfrBaseForm, DsfrDjangoTemplates

RENDERER = (
    DsfrDjangoTemplates()
    if settings.FORM_RENDERER == global_settings.FORM_RENDERER
    else get_default_renderer()
)


class DsfrForm(DsfrBaseForm):
    default_renderer = RENDERER
