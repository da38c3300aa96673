"""Template parts that are the same on every request of a process, computed once.

``base.html`` wraps every page: its style sheets, favicons, scripts and display-settings dialog
come from a dozen ``{% static %}`` calls and four django-dsfr inclusion templates, and its links
from a dozen ``{% url %}`` calls, on every page for the same output. Caching them here (in the
process, not in a shared cache) keeps the HTML byte for byte:

* ``{% fixed_url 'app:name' %}`` is ``{% url 'app:name' %}`` for a name without arguments,
  reversed once per urlconf and script prefix (``core.navigation.fixed_path``);
* ``{% fixed %}…{% endfixed %}`` renders its content once per language and keeps the result. The
  content must not read the page's context (no variable, no ``request``, no CSRF token, no CSP
  nonce): only tags whose output depends on the settings, such as ``{% static %}``. A change of
  settings (the tests' ``override_settings``) renders it again.
"""

from django import template
from django.core.signals import setting_changed
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from ..navigation import fixed_path

register = template.Library()

_generation = 0


def _forget(**kwargs) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_forget, dispatch_uid="core.fixed.setting_changed")


@register.tag
def fixed_url(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% fixed_url %} prend un seul nom d'URL entre guillemets.")
    return FixedURLNode(bits[1][1:-1])


class FixedURLNode(template.Node):
    def __init__(self, url_name: str):
        self.url_name = url_name

    def render(self, context):
        path = fixed_path(self.url_name)
        return conditional_escape(path) if context.autoescape else path


@register.tag
def fixed(parser, token):
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    return FixedNode(nodelist)


class FixedNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.generation, self.rendered = _generation, {}

    def render(self, context):
        if self.generation != _generation:
            self.generation, self.rendered = _generation, {}
        language = get_language()
        html = self.rendered.get(language)
        if html is None:
            html = self.rendered[language] = self.nodelist.render(context)
        return html
