"""Property tests (hypothesis) of the spreadsheet import: whatever a cell or a file holds, the
parsers answer with a value or with the user's error message (CellError, ImportRejected), never
with an exception, and values that are valid survive their usual spellings.

Settings: tests/fuzz/properties.py. Slow: run with ``make test-slow``.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.properties import PROPERTY
from xiake.core import importer
from xiake.core.columns import CellError, Lookups, columns_for, normalise_text
from xiake.core.resources import registry

pytestmark = [pytest.mark.slow]

# cells as spreadsheets deliver them: text (any script, spaces, control characters), numbers,
# dates, nothing
cells = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.text(alphabet="0123456789-/.年月日 ,，万元eE+-NnaIifty", max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
)


def achievement_columns():
    return {c.name: c for c in columns_for(registry()["catalog.achievement"])}


@PROPERTY
@given(value=st.one_of(st.none(), st.text(), st.integers(), st.floats()))
def test_normalising_a_cell_never_fails_and_is_idempotent(value):
    once = normalise_text(value)
    assert normalise_text(once) == once
    assert once == once.strip()


@pytest.mark.django_db
@PROPERTY
@given(name=st.sampled_from(sorted(achievement_columns())), raw=cells)
def test_every_column_parses_any_cell_or_says_why_not(name, raw):
    column = achievement_columns()[name]
    try:
        column.parse(raw, Lookups())
    except CellError as exc:
        assert str(exc)  # the message shown in the error report


@pytest.mark.django_db
@PROPERTY
@given(day=st.dates(min_value=dt.date(1000, 1, 1)), spelling=st.integers(0, 3))
def test_a_date_in_any_accepted_spelling_is_read_back_unchanged(day, spelling):
    text = [
        f"{day.year:04d}-{day.month:02d}-{day.day:02d}",
        f"{day.year:04d}/{day.month}/{day.day}",
        f"{day.year:04d}年{day.month}月{day.day}日",
        f"{day.year:04d}{day.month:02d}{day.day:02d}",
    ][spelling]
    assert achievement_columns()["completion_date"].parse(text, Lookups()) == day


@pytest.mark.django_db
@PROPERTY
@given(
    amount=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    spelling=st.integers(0, 2),
)
def test_an_amount_with_separators_or_a_unit_is_read_back_unchanged(amount, spelling):
    text = [f"{amount}", f"{amount:,}", f"{amount}万元"][spelling]
    assert achievement_columns()["asking_price"].parse(text, Lookups()) == amount


@PROPERTY
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_are_read_or_refused_with_a_reason(data, suffix):
    try:
        header, rows = importer.read_table(f"成果{suffix}", data)
    except importer.ImportRejected as exc:
        assert str(exc)
    else:
        assert isinstance(header, list) and all(isinstance(r, list) for r in rows)


safe_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=30
)


@PROPERTY
@given(rows=st.lists(st.lists(safe_text, min_size=3, max_size=3), min_size=1, max_size=20))
def test_a_csv_file_reads_back_the_cells_it_was_written_with(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["成果名称", "关键词", "摘要"], *rows])
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        try:
            data = buffer.getvalue().encode(encoding)
        except UnicodeEncodeError:
            continue
        header, read = importer.read_table("成果.csv", data)
        assert header == ["成果名称", "关键词", "摘要"]
        # a row of empty cells is written as an empty line, which csv reads back as no cells
        assert [r for r in read if r] == [r for r in rows if any(r)] or read == rows


@pytest.mark.django_db
@PROPERTY
@given(
    header=st.lists(
        st.sampled_from(
            [
                "成果名称",
                "所属单位",
                "技术成熟度",
                "意向价格（万元）",
                "完成日期",
                "合作方式",
                "奇怪的列",
                "",
                "关键词",
            ]
        ),
        max_size=8,
    ),
    rows=st.lists(st.lists(cells, max_size=9), max_size=8),
)
def test_validation_of_any_sheet_reports_rows_and_columns_and_never_fails(
    header, rows, django_user_model
):
    from xiake.accounts.models import Organization

    org = Organization.objects.get_or_create(name="模糊测试局", org_type="government")[0]
    user = django_user_model.objects.filter(username="fuzz").first() or (
        django_user_model.objects.create_user("fuzz", role="bureau", organization=org)
    )
    result = importer.validate(registry()["catalog.achievement"], user, header, rows)
    for error in result.errors:
        assert error.row >= 1 and error.message
        assert error.row == 1 or 2 <= error.row <= len(rows) + 1
