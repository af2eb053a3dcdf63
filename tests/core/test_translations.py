"""The zh-hans catalogue: complete, not fuzzy, placeholders intact, and actually used at run time.

The .po file is read with a small parser of our own so that neither the product nor the tests depend
on polib. The .mo file is a build artefact (`make messages`, run by `make run` and `make test`).
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Apps may keep their own catalogue (xiake/<app>/locale/...); every one is held to the same rules.
PO_PATHS = sorted(Path(settings.BASE_DIR).glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class Entry:
    line: int
    flags: set = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # {None: str} or {0: str, 1: str, ...}


def _unquote(text: str) -> str:
    # PO strings use C escapes, which Python string literals understand.
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """Parse active (non-obsolete) entries of a .po file, header included (msgid "")."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple | None = None  # (attribute, plural index) the next continuation line extends

    def start(lineno):
        nonlocal current
        if current is None or current.msgid or current.msgstr:
            current = Entry(line=lineno)
            entries.append(current)

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                current, target = None, None
            continue
        if line.startswith("#,"):
            start(lineno)
            current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            attr, index = target
            if attr == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, attr, getattr(current, attr) + _unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            current = None
        if current is None:
            start(lineno)
        if match:
            target = ("msgstr", int(match.group(1)))
            current.msgstr[target[1]] = _unquote(value)
        elif keyword == "msgstr":
            target = ("msgstr", None)
            current.msgstr[None] = _unquote(value)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            target = (keyword, None)
            setattr(current, keyword, _unquote(value))
        else:
            raise AssertionError(f"{path}:{lineno}: cannot parse {raw!r}")
    return entries


@pytest.fixture(scope="module", params=PO_PATHS, ids=lambda p: str(p.parent.parent.parent.parent))
def entries(request):
    assert PO_PATH.exists(), f"{PO_PATH} is missing"
    parsed = parse_po(request.param)
    assert parsed and parsed[0].msgid == "", "the catalogue must start with its header"
    return parsed


def _where(e: Entry) -> str:
    return f"django.po:{e.line} {e.msgid!r}"


def test_header(entries):
    header = entries[0]
    assert "fuzzy" not in header.flags
    assert "charset=UTF-8" in header.msgstr[None]
    assert "nplurals=1; plural=0;" in header.msgstr[None]


def test_catalogue_is_large_enough_to_be_the_real_one():
    assert len(parse_po(PO_PATH)) > 300


def test_no_fuzzy_entries(entries):
    fuzzy = [_where(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"


def test_no_empty_translation(entries):
    empty = [_where(e) for e in entries[1:] if not e.msgstr or not all(e.msgstr.values())]
    assert not empty, f"untranslated entries: {empty}"


def test_plural_entries_have_one_form(entries):
    for e in entries[1:]:
        if e.msgid_plural is not None:
            assert set(e.msgstr) == {0}, _where(e)
        else:
            assert set(e.msgstr) == {None}, _where(e)


def test_translations_are_chinese(entries):
    english = [_where(e) for e in entries[1:] if not all(CJK.search(s) for s in e.msgstr.values())]
    assert not english, f"translations without a Chinese character: {english}"


def test_placeholders_preserved(entries):
    wrong = []
    for e in entries[1:]:
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
        for s in e.msgstr.values():
            if set(PLACEHOLDER.findall(s)) != wanted:
                wrong.append(_where(e))
            elif "python-format" in e.flags:
                try:
                    s % dict.fromkeys(wanted, 1)
                except (KeyError, TypeError, ValueError):
                    wrong.append(_where(e))
    assert not wrong, f"placeholders differ: {wrong}"


@pytest.mark.parametrize("po", PO_PATHS, ids=str)
def test_compiled_catalogue_is_current(po):
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
        f"the compiled catalogue {mo} is missing or stale: run `make messages`"
    )


@pytest.mark.parametrize(
    ("msgid", "zh"),
    [
        ("Published", "已发布"),
        ("Pending review", "待审核"),
        ("Returned for revision", "退回整改"),
        ("achievement name", "成果名称"),
        ("unified social credit code", "统一社会信用代码"),
        ("asking price (10k yuan)", "意向价格（万元）"),
        ("Technology manager", "技术经理人"),
        ("Bureau administrator", "科技局管理员"),
    ],
)
def test_key_strings_translate(msgid, zh):
    with translation.override("zh-hans"):
        assert gettext(msgid) == zh
    with translation.override("en"):
        assert gettext(msgid) == msgid


def test_placeholders_survive_at_run_time():
    with translation.override("zh-hans"):
        text = gettext("Page %(number)s of %(num_pages)s") % {"number": 2, "num_pages": 5}
        assert text == "第 2 页，共 5 页"
        plural = ngettext(
            "%(n)s problem found; nothing has been written.",
            "%(n)s problems found; nothing has been written.",
            3,
        ) % {"n": 3}
        assert plural.startswith("发现 3 个问题")


def test_every_spreadsheet_header_is_chinese():
    from xiake.core.columns import columns_for
    from xiake.core.resources import registry

    resources = registry()
    assert resources, "no resources are registered"
    english = [
        f"{key}: {col.header!r}"
        for key, resource in resources.items()
        for col in columns_for(resource)
        if not CJK.search(str(col.header))
    ]
    assert not english, f"spreadsheet headers without Chinese: {english}"
