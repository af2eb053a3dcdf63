"""The generic contract applied to every library (see tests/base.py)."""

from tests import factories as f
from tests.base import ResourceContract
from xiake.accounts.models import Organization
from xiake.catalog import models as m


def own_university():
    """The university profile of the `university` persona's organisation (see conftest)."""
    org = Organization.objects.get(name="测试大学")
    return m.University.objects.filter(owner_org=org).first() or f.make_university(org)


class TestAchievements(ResourceContract):
    model = m.Achievement
    factory = staticmethod(f.make_achievement)
    creator = "university"
    label_field = "title"
    form_data = {"title": "一种海水管道焊缝防腐涂层", "summary": "涂层在海水中耐蚀两年以上。"}


class TestDemands(ResourceContract):
    model = m.Demand
    factory = staticmethod(f.make_demand)
    owner, outsider, creator = "enterprise", "enterprise2", "enterprise"
    label_field = "title"
    form_data = {"title": "焊缝锈蚀问题求解", "description": "焊缝处半年出现锈蚀。"}


class TestExperts(ResourceContract):
    model = m.Expert
    factory = staticmethod(f.make_expert)
    creator = "university"
    form_data = {"name": "张伟", "title": "教授"}


class TestPlatforms(ResourceContract):
    model = m.Platform
    factory = staticmethod(f.make_platform)
    creator = "university"
    form_data = {"name": "先进材料公共技术服务平台", "open_to_enterprises": "on"}


class TestAgencies(ResourceContract):
    model = m.Agency
    factory = staticmethod(f.make_agency)
    owner, outsider = "enterprise", "enterprise2"
    form_data = {"name": "栖霞知识产权服务中心"}


class TestTransferStaff(ResourceContract):
    model = m.TransferStaff
    factory = staticmethod(f.make_transferstaff)
    form_data = {"name": "赵敏", "kind": "manager", "level": "junior"}


class TestUniversities(ResourceContract):
    model = m.University
    factory = staticmethod(f.make_university)
    form_data = {"name": "新建大学", "level": "undergraduate"}

    def test_permitted_user_creates_through_the_form(self, orgs, users):
        org = Organization.objects.create(name="新建大学", org_type="university")
        self.form_data = {**self.form_data, "owner_org": org.pk}
        super().test_permitted_user_creates_through_the_form(orgs, users)


class TestFaculties(ResourceContract):
    model = m.Faculty
    factory = staticmethod(f.make_faculty)
    reviewed = False
    creator = "university"

    @property
    def form_data(self):
        return {"university": own_university().pk, "name": "化学化工学院"}

    def make(self, orgs, status="published", **kwargs):
        f.make_university(orgs["university"])
        f.make_university(orgs["university2"])
        return super().make(orgs, **kwargs)


class TestSubCentres(TestFaculties):
    model = m.SubCentre
    factory = staticmethod(f.make_subcentre)

    @property
    def form_data(self):
        return {"university": own_university().pk, "name": "测试大学技术转移分中心"}


class TestAllianceMembers(ResourceContract):
    model = m.AllianceMember
    factory = staticmethod(f.make_alliancemember)
    reviewed = False

    def test_owner_edits_and_the_change_is_logged(self, orgs, users):
        self.label_field = "note"
        super().test_owner_edits_and_the_change_is_logged(orgs, users)

    @property
    def form_data(self):
        org = Organization.objects.create(name="联盟新成员公司", org_type="enterprise")
        return {"owner_org": org.pk, "member_role": "member"}
