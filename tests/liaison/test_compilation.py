"""Achievement compilations: the job resource, the background build (immediate backend), the PDF
(opened with pypdf: cover, contents whose page numbers are right, one page per achievement, the
public demand list) and the DOCX, htmx polling, and who may download."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests import factories as f
from tests.base import api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.liaison import models as m
from xiake.liaison.compilation import TOC_ROWS_PER_PAGE, build


class TestCompilationJobs(PrivateContract):
    model = m.CompilationJob
    factory = staticmethod(lf.make_compilationjob)
    owner, outsider, creator = "university", "university2", "university"
    label_field = "title"
    form_data = {"title": "测试大学成果汇编", "include_demands": "on"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def catalogue(orgs):
    uni = f.make_university(orgs["university"], name="测试大学")
    other = f.make_university(orgs["university2"], name="另一所大学")
    mine = [
        f.make_achievement(orgs["university"], title=f"高熵合金激光熔覆技术{i}") for i in range(3)
    ]
    return {
        "university": uni,
        "other": other,
        "mine": mine,
        "draft": f.make_achievement(orgs["university"], status="draft", title="未发布的草稿成果"),
        "elsewhere": f.make_achievement(orgs["university2"], title="另一所大学的成果"),
        "public": f.make_demand(orgs["enterprise"], title="公开的焊缝防腐需求"),
        "secret": f.make_demand(orgs["enterprise"], title="保密的工艺需求", is_confidential=True),
    }


def text_of(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.mark.django_db
class TestBuild:
    def ask(self, users, catalogue, django_capture_on_commit_callbacks, **extra):
        client = client_for(users["university"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("liaison:compilationjob_add"),
                {
                    "title": "测试大学2026年科技成果汇编",
                    "university": catalogue["university"].pk,
                    "include_demands": "on",
                    **extra,
                },
            )
        assert response.status_code == 302, response.context["form"].errors
        return client, m.CompilationJob.objects.get(title="测试大学2026年科技成果汇编")

    def test_the_pdf_opens_with_cover_contents_and_one_page_each(
        self, users, catalogue, media, django_capture_on_commit_callbacks
    ):
        client, job = self.ask(users, catalogue, django_capture_on_commit_callbacks)
        assert job.status == "done" and job.progress == 100
        assert (job.achievement_count, job.demand_count) == (3, 1)
        page = client.get(job.get_absolute_url()).content.decode()
        assert "hx-trigger" not in page and "download/pdf" in page
        response = client.get(reverse("liaison:compilation_download", args=[job.pk, "pdf"]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        reader, pages = text_of(b"".join(response.streaming_content))
        assert "测试大学" in pages[0] and "科技成果汇编" in pages[0]
        assert "目" in pages[1] and "高熵合金激光熔覆技术0" in pages[1]
        # one page per achievement, at the page the contents name (cover 1, contents 2)
        for i, a in enumerate(catalogue["mine"]):
            assert a.title in pages[2 + i]
            lines = [line.strip() for line in pages[1].splitlines()]
            k = next(k for k, line in enumerate(lines) if a.title in line)
            assert lines[k + 1] == str(3 + i), lines  # the page-number cell beside the title
        everything = "\n".join(pages)
        assert "未发布的草稿成果" not in everything and "另一所大学的成果" not in everything
        assert "公开的焊缝防腐需求" in everything and "保密的工艺需求" not in everything
        assert len(reader.pages) == 1 + 1 + 3 + 1

    def test_the_docx_holds_the_same(
        self, users, catalogue, media, django_capture_on_commit_callbacks
    ):
        from docx import Document

        client, job = self.ask(users, catalogue, django_capture_on_commit_callbacks)
        response = client.get(reverse("liaison:compilation_download", args=[job.pk, "docx"]))
        assert response.status_code == 200
        doc = Document(io.BytesIO(b"".join(response.streaming_content)))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "科技成果汇编" in text and "测试大学" in text
        assert text.count("高熵合金激光熔覆技术1") == 2  # contents and its heading
        headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
        assert any("高熵合金激光熔覆技术2" in h for h in headings)

    def test_only_the_requester_and_the_bureau_download(
        self, users, catalogue, media, django_capture_on_commit_callbacks
    ):
        _client, job = self.ask(users, catalogue, django_capture_on_commit_callbacks)
        url = reverse("liaison:compilation_download", args=[job.pk, "pdf"])
        assert client_for(users["university2"]).get(url).status_code == 404
        assert client_for(users["enterprise"]).get(url).status_code == 404
        assert client_for().get(url).status_code == 302  # to the login page
        assert client_for(users["bureau"]).get(url).status_code == 200
        status = reverse("liaison:compilation_status", args=[job.pk])
        assert client_for(users["university2"]).get(status).status_code == 404
        assert (
            api_for(users["university2"]).get(f"/api/v1/compilations/{job.pk}/").status_code == 404
        )

    def test_the_status_block_polls_while_the_build_runs(self, users, orgs):
        job = lf.make_compilationjob(orgs["university"])  # queued: on_commit never ran
        html = client_for(users["university"]).get(
            reverse("liaison:compilation_status", args=[job.pk])
        )
        assert 'hx-trigger="every 1s"' in html.content.decode()
        assert job.status == "queued"

    def test_a_field_and_period_select_achievements(self, orgs, catalogue, media):
        term = f.term("hightech8", "4")
        a = catalogue["mine"][0]
        a.hightech_field, a.completion_date = term, a.created_at.date()
        a.save()
        job = lf.make_compilationjob(orgs["bureau"], field=term, period_from=a.completion_date)
        build(job.pk)
        job.refresh_from_db()
        assert job.status == "done" and job.achievement_count == 1
        _reader, pages = text_of(job.pdf_file.read())
        assert a.title in "".join(pages) and "新材料" in pages[0]

    def test_long_lists_get_more_contents_pages_whose_numbers_are_right(
        self, orgs, catalogue, media
    ):
        for i in range(TOC_ROWS_PER_PAGE + 2):
            f.make_achievement(
                orgs["university"],
                title=f"批量成果{i:03d}"
                + "一种用于海水环境的高强度耐蚀焊接材料及其制备方法" * (i % 3),
                summary="简介",
            )
        job = lf.make_compilationjob(
            orgs["university"], university=catalogue["university"], include_demands=False
        )
        build(job.pk)
        job.refresh_from_db()
        reader, pages = text_of(job.pdf_file.read())
        n = job.achievement_count
        assert n == TOC_ROWS_PER_PAGE + 2 + len(catalogue["mine"])
        assert len(reader.pages) == 1 + 2 + n
        toc = toc_of_pdf(pages[1] + "\n" + pages[2])
        assert len(toc) == n
        for k, (label, number) in enumerate(toc, 1):
            # the page the entry names prints that number and holds the achievement's heading
            assert label.startswith(f"{k}. ")
            lines = pages[number - 1].splitlines()
            assert f"— {number} —" in lines, (k, number)
            assert any(line.startswith(f"{k}. ") for line in lines), (k, number)
            squeezed = "".join(pages[number - 1].split())  # the heading may wrap
            assert "".join(label.rstrip("…").split()) in squeezed, (label, number)
        assert [number for _label, number in toc] == list(range(4, 4 + n))

    def test_the_docx_contents_name_the_page_each_achievement_starts_on(
        self, orgs, catalogue, media
    ):
        from docx import Document

        for i in range(TOC_ROWS_PER_PAGE + 4):
            f.make_achievement(
                orgs["university"],
                title=f"批量成果{i:03d}"
                + "一种用于海水环境的高强度耐蚀焊接材料及其制备方法" * (i % 4),
                summary="一种焊接工艺。" * 400,  # cut to fit one page
            )
        job = lf.make_compilationjob(orgs["bureau"], university=catalogue["university"])
        build(job.pk)
        job.refresh_from_db()
        assert job.status == "done", job.message
        doc = Document(job.docx_file)
        toc, starts, pages = docx_layout(doc)
        n = job.achievement_count
        assert len(toc) == n + 1 and toc[-1][0] == "企业技术需求清单"
        for k, (label, number) in enumerate(toc[:-1], 1):
            heading = next(h for h in starts if h.startswith(f"{k}. "))
            assert starts[heading] == number, (label, number, starts[heading])
            assert heading.startswith(label.rstrip("…"))
        assert toc[-1][1] == starts["企业技术需求清单"] == 4 + n
        # one page per achievement after the cover and two contents pages
        assert [number for _label, number in toc[:-1]] == list(range(4, 4 + n))
        assert pages == 4 + n
        # the contents are a Word TOC field (rebuilt from the headings by "update field") and
        # the footer prints the page number with a PAGE field
        body = doc.element.body.xml
        assert "TOC \\o" in body and 'w:fldCharType="separate"' in body
        assert "PAGE" in doc.sections[0].footer._element.xml
        # the summary is cut so the page holds it
        summaries = [p.text for p in doc.paragraphs if p.text.startswith("一种焊接工艺")]
        assert summaries and all(len(t) <= 801 and t.endswith("…") for t in summaries)


def toc_of_pdf(text: str) -> list[tuple[str, int]]:
    """The contents of the PDF as (label, page): each label is followed by its page cell."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [
        (line, int(lines[k + 1]))
        for k, line in enumerate(lines[:-1])
        if line[0].isdigit() and ". " in line and lines[k + 1].isdigit()
    ]


def docx_layout(doc) -> tuple[list[tuple[str, int]], dict[str, int], int]:
    """(contents entries, page where each Heading 1 starts, pages), counting the explicit page
    breaks: every page of a compilation ends with one, so the count is where Word starts a page."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    page, toc, starts = 1, [], {}
    for para in doc.paragraphs:
        if para.paragraph_format.page_break_before:
            page += 1
        if para.style.name == "TOC 1":
            label, number = para.text.split("\t")
            toc.append((label, int(number)))
        elif para.style.name == "Heading 1":
            starts[para.text] = page
        page += len(para._p.findall(f".//{w}br[@{w}type='page']"))
    return toc, starts, page
