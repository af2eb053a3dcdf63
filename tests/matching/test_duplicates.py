"""Near-duplicate achievements and demands: crafted copies are flagged, distinct records are not."""

import pytest

from tests.base import client_for
from tests.factories import make_achievement, make_demand
from xiake.matching import duplicates

pytestmark = pytest.mark.django_db

SUMMARY = (
    "本发明提供一种双相不锈钢焊接接头耐点蚀处理方法。焊后对接头进行固溶处理并控制冷却速度，"
    "使铁素体与奥氏体两相比例恢复到1:1，焊缝在3.5%氯化钠溶液中的点蚀电位提高150mV，"
    "适用于海水淡化装置和海洋平台管道。"
)
# the same patent as filed by a second office: title reordered, one sentence rewritten
COPY_SUMMARY = (
    "本发明涉及双相不锈钢焊接接头的耐点蚀处理方法。焊后对接头进行固溶处理并控制冷却速度，"
    "使铁素体与奥氏体两相比例恢复到1:1，焊缝在3.5%氯化钠溶液中的点蚀电位可提高约150mV，"
    "可用于海洋平台管道及海水淡化装置。"
)
SAME_TOPIC_SUMMARY = (
    "针对双相不锈钢管道激光焊接后残余应力大的问题，提出振动时效与局部感应加热相结合的"
    "应力调控工艺，焊接残余应力峰值降低40%，接头疲劳寿命提高一倍，适用于油气输送管线。"
)


@pytest.fixture
def records(orgs):
    original = make_achievement(
        orgs["university"],
        title="一种双相不锈钢焊接接头耐点蚀处理方法",
        keywords="双相不锈钢,焊接接头,点蚀",
        summary=SUMMARY,
        ip_numbers="ZL201910123456.7",
    )
    return {
        "original": original,
        "copy": make_achievement(
            orgs["university2"],
            title="双相不锈钢焊接接头的耐点蚀处理方法",
            keywords="双相不锈钢,焊接,耐点蚀",
            summary=COPY_SUMMARY,
            status="pending",
        ),
        "same_patent": make_achievement(
            orgs["university2"],
            title="海洋管道焊缝防腐新工艺",
            keywords="防腐",
            summary="面向海洋工程的焊缝处理工艺。",
            ip_numbers="zl 2019 1012 3456.7, ZL202010000001.1",
        ),
        "same_topic": make_achievement(
            orgs["university2"],
            title="双相不锈钢管道激光焊接残余应力调控技术",
            keywords="双相不锈钢,激光焊接,残余应力",
            summary=SAME_TOPIC_SUMMARY,
        ),
        "unrelated": make_achievement(
            orgs["university2"], title="小麦抗旱育种", keywords="小麦", summary="抗旱小麦新品种。"
        ),
    }


def test_copies_are_flagged_and_distinct_records_on_the_same_topic_are_not(records, users):
    original = records["original"]
    mine = duplicates.shingles(duplicates.record_text("achievement", original))

    def score(name):
        other = duplicates.shingles(duplicates.record_text("achievement", records[name]))
        return duplicates.similarity(mine, other)

    assert score("copy") >= duplicates.THRESHOLD
    assert score("same_topic") < duplicates.THRESHOLD / 2
    assert score("unrelated") < 0.05
    found = {d.obj.pk: d for d in duplicates.near_duplicates(users["bureau"], original)}
    assert set(found) == {records["copy"].pk, records["same_patent"].pk}
    assert found[records["same_patent"].pk].shared_ip == ["zl201910123456.7"]
    assert found[records["same_patent"].pk].similarity == 1.0
    assert found[records["copy"].pk].similarity == round(score("copy"), 3)
    # symmetric: the copy finds the original
    back = duplicates.near_duplicates(users["bureau"], records["copy"])
    assert original.pk in {d.obj.pk for d in back}


def test_only_records_the_user_may_view_are_offered_as_duplicates(records, users):
    # the pending copy belongs to another university: the original's owner must not learn of it
    found = duplicates.near_duplicates(users["university"], records["original"])
    assert records["copy"].pk not in {d.obj.pk for d in found}
    assert records["same_patent"].pk in {d.obj.pk for d in found}  # published


def test_near_duplicate_demands(orgs, users):
    text = "我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀，需要提高焊缝耐海水腐蚀能力，预算50万元。"
    first = make_demand(orgs["enterprise"], title="不锈钢管焊缝海水腐蚀问题", description=text)
    again = make_demand(
        orgs["enterprise2"],
        title="不锈钢管焊缝在海水中腐蚀的问题",
        description=text.replace("我司", "本公司").replace("预算50万元", "预算约50万元"),
    )
    other = make_demand(
        orgs["enterprise2"],
        title="锂电池极片涂布厚度不均",
        description="涂布机速度提高后面密度波动大。",
    )
    found = [d.obj.pk for d in duplicates.near_duplicates(users["bureau"], first)]
    assert found == [again.pk]
    assert other.pk not in found


def test_record_page_flags_duplicates_to_its_owner_and_the_bureau_only(records, users):
    url = records["original"].get_absolute_url()
    for role in ("bureau", "university"):
        page = client_for(users[role]).get(url)
        assert page.status_code == 200
        assert 'data-testid="duplicates"' in page.content.decode()
        assert records["same_patent"].title in page.content.decode()
    for role in ("university2", "enterprise"):
        page = client_for(users[role]).get(url)
        assert page.status_code == 200
        assert 'data-testid="duplicates"' not in page.content.decode()
    assert 'data-testid="duplicates"' not in client_for(None).get(url).content.decode()


def test_bureau_queue_lists_pending_records_that_look_like_copies(records, users):
    page = client_for(users["bureau"]).get("/matching/duplicates/")
    assert page.status_code == 200
    body = page.content.decode()
    assert records["copy"].title in body  # pending, looks like the original
    assert records["original"].title in body  # shown as what it looks like
    assert records["same_topic"].get_absolute_url() not in body
    assert client_for(users["university"]).get("/matching/duplicates/").status_code == 403
    anonymous = client_for(None).get("/matching/duplicates/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_queue_reuses_each_records_comparison_until_the_record_changes(
    records, users, django_assert_max_num_queries
):
    bureau = users["bureau"]
    first = duplicates.review_queue(bureau)
    assert [obj.pk for _kind, obj, _dups in first] == [records["copy"].pk]
    # reopened: one query per kind for the pending records, one for the records they look like
    with django_assert_max_num_queries(4):
        again = duplicates.review_queue(bureau)
    assert [(o.pk, [d.obj.pk for d in ds]) for _k, o, ds in again] == [
        (o.pk, [d.obj.pk for d in ds]) for _k, o, ds in first
    ]
    # the pending record is rewritten into something else: compared again, no longer listed
    copy = records["copy"]
    copy.title, copy.keywords, copy.summary = "小麦抗旱育种新方法", "小麦", "抗旱小麦品种选育。"
    copy.save()
    assert duplicates.review_queue(bureau) == []


def test_an_import_flags_rows_that_look_like_existing_records(records, users, orgs):
    """Flagged at the check step (a note per row, linking the record), never refused."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import translation

    from tests.core.test_import import xlsx
    from xiake.catalog.models import Achievement

    with translation.override("zh-hans"):
        header = [
            str(Achievement._meta.get_field(name).verbose_name)
            for name in ("title", "owner_org", "summary", "ip_numbers")
        ]
    org = orgs["university"].name
    rows = [
        ["双相不锈钢焊接接头耐点蚀的处理方法", org, COPY_SUMMARY, ""],  # a copy by its text
        ["海洋平台焊缝处理", org, "面向海洋工程的焊缝处理。", "ZL 2019 1012 3456.7"],  # same patent
        ["新型水处理膜甲", org, "一种反渗透膜。", "ZL202311111111.1"],
        ["新型水处理膜乙", org, "一种反渗透膜组件。", "ZL202311111111.1"],  # same as the row above
        ["锂离子电池硅碳负极材料", org, "一种高首效硅碳负极及其制备方法。", ""],
    ]
    client = client_for(users["bureau"])
    before = Achievement.objects.count()
    response = client.post(
        reverse("catalog:achievement_import"),
        {"file": SimpleUploadedFile("成果.xlsx", xlsx(rows, headers=header))},
    )
    assert response.status_code == 200
    assert not response.context["job"].errors
    notices = {n.row: n for n in response.context["notices"]}
    assert set(notices) == {2, 3, 5}, notices  # data rows start at 2 under the header
    assert notices[2].url == reverse("catalog:achievement_detail", args=[records["original"].pk])
    assert "相似度" in notices[2].message or "similarity" in notices[2].message
    assert records["original"].title in notices[3].message
    assert "zl201910123456.7" in notices[3].message
    assert "3" in notices[5].message and "zl202311111111.1" in notices[5].message
    assert "知识产权号" in notices[3].message or "IP number" in notices[3].message
    page = response.content.decode()
    assert 'data-testid="import-notices"' in page
    assert Achievement.objects.count() == before  # the check writes nothing


def test_an_import_shows_no_record_the_importer_may_not_see(records, users, orgs):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import translation

    from tests.core.test_import import xlsx
    from xiake.catalog.models import Achievement

    records["original"].status = "draft"
    records["original"].save()
    with translation.override("zh-hans"):
        header = [
            str(Achievement._meta.get_field(name).verbose_name)
            for name in ("title", "owner_org", "ip_numbers")
        ]
    row = ["另一单位的同一专利", orgs["enterprise"].name, "ZL201910123456.7"]
    response = client_for(users["enterprise"]).post(
        reverse("catalog:achievement_import"),
        {"file": SimpleUploadedFile("成果.xlsx", xlsx([row], headers=header))},
    )
    assert response.status_code == 200
    notices = response.context["notices"]
    # the draft of another organisation stays invisible; the published copy is offered
    assert all(records["original"].title not in n.message for n in notices)
    assert any(records["same_patent"].title in n.message for n in notices)
