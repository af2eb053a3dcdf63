"""The demo's synthetic 有用 / 无关 marks: made by the demo bureau account on demo demands, and
removed by --flush-only."""

import io

import pytest
from django.core.management import call_command

from xiake.matching.models import MatchFeedback

pytestmark = pytest.mark.django_db

SMALL = ["--achievements", "120", "--experts", "20", "--demands", "30", "--platforms", "5"]
SMALL += ["--staff", "10", "--enterprises", "20"]


def test_demo_marks_and_flush():
    call_command("demo", *SMALL, stdout=io.StringIO())
    marks = MatchFeedback.objects.all()
    assert marks.exists()
    assert set(marks.values_list("user__username", flat=True)) == {"bureau"}
    assert set(marks.values_list("source_kind", "target_kind").distinct()) == {
        ("demand", "achievement")
    }
    assert {"useful", "not_useful"} == set(marks.values_list("value", flat=True))
    call_command("demo", *SMALL, "--flush-only", stdout=io.StringIO())
    assert not MatchFeedback.objects.exists()
