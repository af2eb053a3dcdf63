from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from xiake.taxonomy.models import Scheme, Term


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "version",
        "name",
        "is_current",
        "effective_from",
        "effective_to",
        "term_count",
    ]
    list_filter = ["is_current", "code"]
    search_fields = ["code", "name", "source"]
    ordering = ["code", "-version"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_term_count=Count("terms"))

    @admin.display(description=_("terms"), ordering="_term_count")
    def term_count(self, obj):
        return obj._term_count


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "scheme", "level", "parent", "sort_order", "is_active"]
    list_filter = ["scheme", "level", "is_active"]
    search_fields = ["code", "name", "name_en", "note"]
    list_select_related = ["scheme", "parent"]
    raw_id_fields = ["parent"]
    list_per_page = 100
    ordering = ["scheme", "sort_order", "code"]
