"""Filter sets share their form class and filter configuration between requests, never their state."""

import threading

import pytest
from django.http import QueryDict

from tests import factories as f
from xiake.catalog.models import Achievement
from xiake.core.resources import registry


def _filterset(query: str):
    resource = registry()["catalog.achievement"]
    return resource.filterset_class(QueryDict(query), queryset=Achievement.objects.all())


def test_each_filter_set_filters_with_its_own_data(orgs):
    f.make_achievement(orgs["university"], title="海水焊缝防腐")
    f.make_achievement(orgs["university"], title="锂电池隔膜")
    first, second = _filterset("q=焊缝"), _filterset("q=隔膜")
    # A method filter (q) must call the method of its own filter set, not the first one made.
    assert [a.title for a in first.qs] == ["海水焊缝防腐"]
    assert [a.title for a in second.qs] == ["锂电池隔膜"]
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"].parent is first and second.filters["q"].parent is second


@pytest.mark.django_db
def test_the_form_class_is_shared_but_each_form_has_its_own_fields():
    from xiake.core.forms import style_form

    first, second = _filterset("trl=7"), _filterset("")
    assert type(first.form) is type(second.form)
    style_form(first.form, small=True)
    style_form(first.form, small=True)
    assert "form-select" not in second.form.fields["trl"].widget.attrs.get("class", "")
    assert first.form.is_valid() and first.form.cleaned_data["trl"] == "7"
    assert second.form.is_valid() and second.form.cleaned_data["trl"] == ""


def test_concurrent_filter_sets_keep_their_own_values_and_bindings():
    """gunicorn runs threads: filter sets made at the same time must not share any state."""
    errors = []

    def run(word):
        for _ in range(200):
            filterset = _filterset(f"q={word}")
            method = filterset.filters["q"].filter.method
            if method.__self__ is not filterset or not filterset.form.is_valid():
                errors.append(("binding", word))
            elif filterset.form.cleaned_data["q"] != word:
                errors.append(("value", word, filterset.form.cleaned_data["q"]))

    threads = [threading.Thread(target=run, args=(w,)) for w in ("甲", "乙", "丙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.django_db
def test_a_new_taxonomy_term_appears_in_the_shared_form_and_on_the_page():
    from django.urls import reverse

    from tests.base import client_for
    from xiake.taxonomy.models import Scheme, Term

    url = reverse("catalog:achievement_list")
    assert "新增的技术成熟度" not in client_for().get(url).content.decode()
    scheme = Scheme.objects.get(code="trl", is_current=True)
    Term.objects.create(scheme=scheme, code="10", name="新增的技术成熟度", sort_order=99)
    codes = [value for value, _ in _filterset("").form.fields["trl"].choices]
    assert "10" in codes
    assert "新增的技术成熟度" in client_for().get(url + "?trl=10").content.decode()
    assert _filterset("trl=10").form.is_valid()
