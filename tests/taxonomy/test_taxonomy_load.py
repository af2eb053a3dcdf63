import gzip
import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from xiake.taxonomy.api import Resolver, current_scheme, domain_vocabulary, resolve, terms
from xiake.taxonomy.loading import LoadError, load_file
from xiake.taxonomy.models import Scheme, Term

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("load_taxonomy", *args, stdout=out)
    return out.getvalue()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_load_gbt4754_full_table_twice(taxonomy_files):
    path = taxonomy_files / "gbt4754_2017_with_notes.jsonl"
    out = run("--scheme", "gbt4754", "--file", str(path))
    assert "1772 terms" in out and "1655 created" in out
    scheme = current_scheme("gbt4754")
    assert scheme.terms.count() == 1772
    counts = {lvl: terms("gbt4754", lvl).count() for lvl in (1, 2, 3, 4)}
    # The file counts 275 groups / 1,380 classes with 3741 mislabelled as a group (see below).
    assert counts == {1: 20, 2: 97, 3: 274, 4: 1381}

    out = run("--scheme", "gbt4754", "--file", str(path))
    assert "0 created, 0 updated, 1772 unchanged" in out
    assert Term.objects.filter(scheme=scheme).count() == 1772

    grain = Term.objects.get(scheme=scheme, code="0111")
    assert grain.name == "稻谷种植" and grain.parent.code == "011" and grain.level == 4
    # A one-class group (019 其他农业) has no row of its own: its class hangs on the division.
    assert Term.objects.get(scheme=scheme, code="0190").parent.code == "01"
    # Known source defect: 飞机制造 is listed as group 374 a second time; it is class 3741.
    aircraft = Term.objects.get(scheme=scheme, code="3741")
    assert aircraft.name == "飞机制造" and aircraft.parent.code == "374"
    assert "稻谷" in Term.objects.get(scheme=scheme, code="011").note
    assert resolve("gbt4754", "6513 应用软件开发").code == "6513"
    assert "稻谷" in set(domain_vocabulary())


def test_load_disciplines_and_sei(taxonomy_files):
    run("--scheme", "gbt13745", "--file", str(taxonomy_files / "gbt13745_2009_disciplines.jsonl"))
    scheme = current_scheme("gbt13745")
    assert scheme.terms.count() == 3539 + 1  # plus the built-in 850, missing from the file
    assert resolve("gbt13745", "5201020 可计算性理论").parent.code == "52010"
    assert resolve("gbt13745", "1903510").parent.code == "190"  # its 二级 row is missing
    run(
        "--scheme",
        "sei2018",
        "--file",
        str(taxonomy_files / "sei2018_strategic_emerging_industries_L1L2.jsonl"),
    )
    assert terms("sei2018", 2).count() == 40
    assert resolve("sei2018", "1.2").parent.code == "1"


def test_load_ipc_main_groups_creates_the_scheme(taxonomy_files):
    out = run(
        "--scheme", "ipc", "--file", str(taxonomy_files / "ipc_2026.01_zh_to_maingroup.jsonl")
    )
    assert "ipc 2026.01 (current): 8260 terms" in out
    assert terms("ipc", 1).count() == 8
    assert terms("ipc", 4).count() == 7469
    assert resolve("ipc", "A01B1/00").parent.code == "A01B"
    assert resolve("ipc", "a01b 1/00").code == "A01B1/00"
    # Titles longer than a name allows keep their full text in the note.
    assert Term.objects.filter(scheme__code="ipc", name__endswith="…").exclude(note="").exists()


def test_load_ipc_full_gz_is_fast(taxonomy_files):
    started = time.monotonic()
    run("--scheme", "ipc", "--file", str(taxonomy_files / "ipc_2026.01_zh_full.jsonl.gz"))
    assert time.monotonic() - started < 60
    assert Term.objects.filter(scheme__code="ipc").count() == 77242
    assert resolve("ipc", "A47G25/36").level == 5
    r = Resolver("ipc")
    assert r.resolve("E03B") is not None  # the empty title falls back to title_full


def test_corrupt_line_writes_nothing_and_names_the_line(tmp_path):
    rows = [
        {"code": "x1", "name": "甲", "level": 1, "parent": None},
        {"code": "x11", "name": "甲一", "level": 2, "parent": "x1"},
    ]
    path = write_jsonl(tmp_path / "chain.jsonl", rows)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"code": "x2", "name": "乙", "level": 1\n')  # truncated JSON on line 3
    before = (Scheme.objects.count(), Term.objects.count())
    with pytest.raises(CommandError, match=r"chain\.jsonl, line 3: .*nothing was written"):
        run("--scheme", "chain", "--file", str(path), "--version", "2030")
    assert (Scheme.objects.count(), Term.objects.count()) == before


def test_real_file_with_a_corrupt_line(taxonomy_files, tmp_path):
    lines = (taxonomy_files / "gbt4754_2017_with_notes.jsonl").read_text("utf-8").splitlines()
    lines[999] = lines[999][:-20]
    bad = tmp_path / "gbt4754_bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    before = Term.objects.count()
    with pytest.raises(LoadError, match="line 1000"):
        load_file("gbt4754", bad)
    assert Term.objects.count() == before


def test_unknown_parent_writes_nothing(tmp_path):
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {"code": "a", "name": "甲", "level": 1, "parent": ""},
            {"code": "b", "name": "乙", "level": 2, "parent": "zzz"},
        ],
    )
    before = Term.objects.count()
    with pytest.raises(LoadError, match=r"line 2: parent 'zzz' of 'b' is unknown"):
        load_file("chain", path, version="2030")
    assert Term.objects.count() == before
    assert not Scheme.objects.filter(code="chain", version="2030").exists()


def test_duplicate_code_is_rejected(tmp_path):
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [{"code": "a", "name": "甲"}, {"code": "b", "name": "乙"}, {"code": "a", "name": "丙"}],
    )
    with pytest.raises(LoadError, match="line 3: code 'a' repeats line 1"):
        load_file("chain", path, version="2030")


def test_new_chain_version_with_make_current(tmp_path):
    old = current_scheme("chain")
    old_terms = set(old.terms.values_list("code", "name"))
    rows = [
        {"code": "ic", "name": "集成电路", "level": 1, "parent": None},
        {"code": "low_altitude", "name": "低空经济", "level": 1, "parent": None},
        {"code": "embodied_ai", "name": "具身智能", "level": 1, "parent": None},
    ]
    path = write_jsonl(tmp_path / "chain_2025.jsonl", rows)
    gz = tmp_path / "chain_2025.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))

    out = run("--scheme", "chain", "--file", str(gz), "--version", "2025", "--make-current")
    assert "chain 2025 (current): 3 terms — 3 created" in out
    new = current_scheme("chain")
    assert new.version == "2025" and new.name == old.name
    old.refresh_from_db()
    assert not old.is_current
    assert set(old.terms.values_list("code", "name")) == old_terms
    assert resolve("chain", "低空经济").scheme == new
    assert resolve("chain", "轨道交通") is None  # not in the current list
    assert Resolver("chain", version="2023").resolve("轨道交通") is not None

    listing = run("--list")
    assert "* chain" in listing and "2025" in listing and "  chain              2023" in listing
    run("--builtin")  # reloading the shipped lists keeps the administrator's choice
    assert current_scheme("chain").version == "2025"


def test_a_second_version_without_make_current_stays_aside(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"code": "x", "name": "某产业"}])
    result = load_file("chain", path, version="2024")
    assert not result.is_current
    assert current_scheme("chain").version == "2023"


def test_command_argument_errors():
    with pytest.raises(CommandError, match="give --builtin"):
        run()
    with pytest.raises(CommandError, match="--scheme needs --file"):
        run("--scheme", "gbt4754")
    with pytest.raises(CommandError, match="cannot open"):
        run("--scheme", "gbt4754", "--file", "/nonexistent/file.jsonl")


def test_builtin_command_reports_counts():
    out = run("--builtin")
    assert "gbt4754 2017 (current): 117 terms" in out
    assert "built-in: 18 scheme versions" in out
