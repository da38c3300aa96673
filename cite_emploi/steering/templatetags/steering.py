"""Template filters of the steering pages: amounts in euros, rates in percent."""

from django import template

from cite_emploi.steering.money import format_euros

register = template.Library()


@register.filter
def euros(value) -> str:
    """« 100 000,00 € » (see ``money.format_euros``)."""
    return format_euros(value)


@register.filter
def whole_euros(value) -> str:
    """« 100 000 € »: rounded to the euro, for charts and summaries."""
    return format_euros(value, cents=False)


@register.filter
def percent(rate) -> str:
    """A rate (0.42) as « 42 % »; « — » without a rate."""
    if rate is None or rate == "":
        return "—"
    return f"{round(100 * float(rate))}\u00a0%"
