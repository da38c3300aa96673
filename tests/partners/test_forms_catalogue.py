"""Filter forms of the catalogue and of the partner map."""

import pytest
from django import forms
from django.http import QueryDict
from django.utils.safestring import mark_safe

from cite_emploi.core.forms import RENDERER
from cite_emploi.partners.forms_catalogue import CatalogueForm, FlatSelect, PartnerMapForm
from cite_emploi.territory.models import QPV, Commune

pytestmark = pytest.mark.django_db


def as_django_select(bound_field) -> str:
    """The field as Django's own Select writes it (one template per option)."""
    flat = bound_field.field.widget
    return bound_field.as_widget(widget=forms.Select(attrs=dict(flat.attrs), choices=flat.choices))


def test_flat_select_writes_the_html_of_django_select():
    communes = [Commune(code="94028", name="Créteil"), Commune(code="94000", name="L'Haÿ & <Roses>")]
    qpvs = [QPV(code="QN09404M", name='Quartier "Bleuets"')]
    data = QueryDict("thematique=trouver-un-emploi&commune=94000&qpv=QN09404M&rayon=5000")
    catalogue = CatalogueForm(data, communes=communes, qpvs=qpvs)
    catalogue.is_valid()
    partner_map = PartnerMapForm(QueryDict("thematique=mobilite--acceder-a-un-vehicule"))
    partner_map.is_valid()
    selects = [
        bound_field
        for form in (catalogue, partner_map)
        for bound_field in form
        if isinstance(bound_field.field.widget, forms.Select)
    ]
    assert len(selects) == 6 + 5
    for bound_field in selects:
        assert isinstance(bound_field.field.widget, FlatSelect), bound_field.name
        str(bound_field.as_field_group())  # styles the widget (DSFR classes) as the page does
        assert bound_field.as_widget() == as_django_select(bound_field), bound_field.name
    html = catalogue["commune"].as_widget()
    assert '<option value="94000" selected>L&#x27;Haÿ &amp; &lt;Roses&gt;</option>' in html
    assert "<optgroup label=" in catalogue["thematique"].as_widget()


def test_flat_select_keeps_safe_labels_as_they_are():
    widget = FlatSelect(choices=[("a", mark_safe("<b>A</b>")), ("b", "<b>B</b>")])
    html = widget.render("x", "a", renderer=RENDERER)
    assert '<option value="a" selected><b>A</b></option>' in html
    assert '<option value="b">&lt;b&gt;B&lt;/b&gt;</option>' in html
    assert html == forms.Select(choices=widget.choices).render("x", "a", renderer=RENDERER)
