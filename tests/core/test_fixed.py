"""The parts of ``base.html`` computed once per process give the same HTML as computed per page."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import reverse

from cite_emploi.core.navigation import fixed_path


def render(source: str) -> str:
    return Template("{% load static fixed %}" + source).render(Context())


def test_fixed_url_is_the_reversed_url():
    for name in ("accounts:home", "core:help", "accounts:logout", "territory:check_address"):
        assert render(f"{{% fixed_url '{name}' %}}") == render(f"{{% url '{name}' %}}") == reverse(name)


def test_fixed_url_follows_the_script_prefix():
    from django.urls import get_script_prefix, set_script_prefix

    before = get_script_prefix()
    try:
        set_script_prefix("/cite/")
        assert fixed_path("core:help") == "/cite/aide/"
    finally:
        set_script_prefix(before)
    assert fixed_path("core:help") == "/aide/"


def test_fixed_url_takes_one_quoted_name():
    for source in ("{% fixed_url %}", "{% fixed_url name %}", "{% fixed_url 'core:help_page' 'x' %}"):
        with pytest.raises(TemplateSyntaxError):
            render(source)


def test_fixed_block_is_rendered_once_and_again_when_settings_change():
    template = Template("{% load static fixed %}{% fixed %}{% static 'css/cite.css' %}{% endfixed %}")
    assert template.render(Context()) == "/static/css/cite.css"
    with override_settings(STATIC_URL="/autre/"):
        assert template.render(Context()) == "/autre/css/cite.css"
    assert template.render(Context()) == "/static/css/cite.css"


def test_fixed_block_keeps_its_first_rendering():
    template = Template("{% load fixed %}{% fixed %}{{ value }}{% endfixed %}")
    assert template.render(Context({"value": "premier"})) == "premier"
    # Hence the rule of the docstring: nothing that depends on the page inside the block.
    assert template.render(Context({"value": "second"})) == "premier"
