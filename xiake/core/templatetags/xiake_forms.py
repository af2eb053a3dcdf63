"""Fast rendering of select widgets.

A list page offers a dozen classification filters with hundreds of options; Django renders each
option through its own widget template, which cost more than everything else on the page. Selects
are written here directly (same markup); every other widget renders the usual way.
"""

from django import forms, template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def fast_field(bound_field):
    widget = bound_field.field.widget
    if type(widget) is not forms.Select:
        return bound_field.as_widget()
    value = bound_field.value()
    selected = (
        {str(v) for v in value}
        if isinstance(value, list | tuple)
        else {"" if value is None else str(value)}
    )
    attrs = bound_field.build_widget_attrs(dict(widget.attrs))
    attrs["id"] = bound_field.auto_id
    attr_html = "".join(
        format_html(' {}="{}"', k, v) for k, v in attrs.items() if v not in (None, False)
    )
    parts = [f'<select name="{conditional_escape(bound_field.html_name)}"{attr_html}>']
    for option_value, label in bound_field.field.choices:
        key = "" if option_value is None else str(option_value)
        parts.append(
            f'<option value="{conditional_escape(key)}"'
            f"{' selected' if key in selected else ''}>{conditional_escape(label)}</option>"
        )
    parts.append("</select>")
    return mark_safe("".join(parts))  # every piece above is escaped
