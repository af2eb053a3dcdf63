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
from django_filters.widgets import BaseCSVWidget

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
        field = bound_field.field
        choices = field.choices if hasattr(field, "choices") else field.widget.choices
        options = [
            ("" if value is None else escape(str(value)), escape(str(label)))
            for value, label in choices
        ]
        if len(_options) > 500:
            _options.clear()
            _selects.clear()  # its keys hold ids of the lists dropped here
        _options[key] = options
    return options


_selects: dict[tuple, str] = {}


def _is_single_select(widget) -> bool:
    """Widgets rendered here (same markup as their templates); others go through Django.

    django-filter's CSV select (the ordering box) is a class it makes per field.
    """
    kind = type(widget)
    if kind in (forms.Select, forms.NullBooleanSelect):
        return True
    return isinstance(widget, BaseCSVWidget) and forms.Select in kind.__bases__


def _attr_html(attrs: dict) -> str:
    # Same output as django/forms/widgets/attrs.html: True → bare name, False/None → left out.
    return "".join(
        format_html(" {}", k) if v is True else format_html(' {}="{}"', k, v)
        for k, v in attrs.items()
        if v is not None and v is not False
    )


def _widget_attrs(bound_field) -> dict:
    widget = bound_field.field.widget
    attrs = bound_field.build_widget_attrs({}, widget)
    attrs = {**widget.attrs, **attrs}
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    return attrs


@register.simple_tag
def fast_field(bound_field):
    widget = bound_field.field.widget
    if type(widget) is forms.TextInput:
        value = widget.format_value(bound_field.value())
        value_html = "" if value is None else format_html(' value="{}"', value)
        attr_html = _attr_html(_widget_attrs(bound_field))
        name = escape(bound_field.html_name)
        return mark_safe(f'<input type="text" name="{name}"{value_html}{attr_html}>')
    if not _is_single_select(widget):
        return bound_field.as_widget()
    value = bound_field.value()
    if isinstance(widget, BaseCSVWidget) and isinstance(value, list | tuple):
        if len(value) > 1:
            return bound_field.as_widget()  # django-filter shows several values as text
        value = value[0] if value else ""
    # Select gives a list of strings, NullBooleanSelect a string ("true", "false", "unknown").
    formatted = widget.format_value(value)
    if not isinstance(formatted, str):
        formatted = formatted[0] if formatted else ""
    selected = escape(formatted)
    attr_html = _attr_html(_widget_attrs(bound_field))
    options = _escaped_options(bound_field)
    # A select with a hundred taxonomy options is the same string for every request that
    # selects the same value: build it once per process (keyed by the options list itself,
    # which is renewed when the taxonomy or the language changes).
    key = (id(options), bound_field.html_name, selected, attr_html)
    html = _selects.get(key)
    if html is None:
        parts = [f'<select name="{escape(bound_field.html_name)}"{attr_html}>']
        for option, label in options:
            mark = " selected" if option == selected else ""
            parts.append(f'<option value="{option}"{mark}>{label}</option>')
        parts.append("</select>")
        html = "".join(parts)
        if len(_selects) > 2000:
            _selects.clear()
        _selects[key] = html
    return mark_safe(html)  # values and labels are escaped above
