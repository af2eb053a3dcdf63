"""Pagination that stays fast on deep pages.

Slicing a queryset with joins makes the database build every skipped row (page 200 of 16,000
achievements joined to organisations and taxonomies). This paginator slices the ids alone, which an
index answers, then loads the page's rows with their joins and keeps the order.
"""

from django.core.paginator import Page, Paginator


class IdPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        qs = self.object_list
        if not hasattr(qs, "values_list"):
            return super().page(number)
        ids = list(qs.values_list("pk", flat=True)[bottom:top])
        rows = {obj.pk: obj for obj in qs.order_by().filter(pk__in=ids)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)
