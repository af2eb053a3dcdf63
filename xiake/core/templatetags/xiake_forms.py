"""Fast rendering of select widgets.

A list page offers a dozen classification filters with hundreds of options; Django renders each
option through its own widget template and re-normalises the choices on every pass, which cost
more than everything else on the page. Selects are written here directly (same markup), with each
field's escaped options kept per process and language until a taxonomy changes.
"""

from html import escape

from django import forms, template
from django.core.cache import cache
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_options: dict[tuple, list[tuple[str, str]]] = {}


def _escaped_options(bound_field) -> list[tuple[str, str]]:
    from xiake.taxonomy.api import GENERATION_KEY

    key = (
        bound_field.form.__class__,
        bound_field.name,
        get_language(),
        cache.get(GENERATION_KEY, 0),
    )
    options = _options.get(key)
    if options is None:
        options = [
            ("" if value is None else escape(str(value)), escape(str(label)))
            for value, label in bound_field.field.choices
        ]
        if len(_options) > 500:
            _options.clear()
        _options[key] = options
    return options


@register.simple_tag
def fast_field(bound_field):
    widget = bound_field.field.widget
    if type(widget) is not forms.Select:
        return bound_field.as_widget()
    value = bound_field.value()
    selected = escape("" if value is None else str(value))
    attrs = bound_field.build_widget_attrs(dict(widget.attrs))
    attrs["id"] = bound_field.auto_id
    attr_html = "".join(
        format_html(' {}="{}"', k, v) for k, v in attrs.items() if v not in (None, False)
    )
    parts = [f'<select name="{escape(bound_field.html_name)}"{attr_html}>']
    for key, label in _escaped_options(bound_field):
        mark = " selected" if key == selected else ""
        parts.append(f'<option value="{key}"{mark}>{label}</option>')
    parts.append("</select>")
    return mark_safe("".join(parts))  # values and labels are escaped above
