"""A thin table layer: columns from field names, cells formatted once, sort links from ``ordering``."""

from dataclasses import dataclass

from django.utils.formats import localize

from xiake.core.masking import masked_values


@dataclass
class Cell:
    value: object
    url: str | None = None
    badge: str | None = None


@dataclass
class Header:
    name: str
    label: str
    sortable: bool
    order: str  # "", "asc" or "desc" when this column sorts the table now


def _display(obj, f):
    value = getattr(obj, f.name)
    if f.many_to_many:
        return "，".join(str(v) for v in value.all())
    if f.choices:
        return obj._get_FIELD_display(f)
    if isinstance(value, bool):
        return "✓" if value else "—"
    if value is None or value == "":
        return "—"
    return localize(value) if not isinstance(value, str) else value


class Table:
    def __init__(self, resource, objects, user, ordering: str = ""):
        self.resource = resource
        self.objects = objects
        self.user = user
        self.ordering = ordering
        self.columns = [resource.field(name) for name in resource.list_columns]
        sortable = (
            set(resource.filterset_class.base_filters.get("ordering").param_map)
            if "ordering" in resource.filterset_class.base_filters
            else set()
        )
        current = ordering.lstrip("-")
        self.headers = [
            Header(
                f.name,
                str(f.verbose_name),
                f.name in sortable,
                ("desc" if ordering.startswith("-") else "asc") if f.name == current else "",
            )
            for f in self.columns
        ]

    def rows(self):
        for obj in self.objects:
            values = {f.name: _display(obj, f) for f in self.columns}
            values = masked_values(obj, self.user, values)
            cells = []
            for i, f in enumerate(self.columns):
                cell = Cell(values[f.name])
                if i == 0:
                    cell.url = obj.get_absolute_url()
                if f.name == "status":
                    cell.badge = obj.status_badge
                cells.append(cell)
            yield cells
