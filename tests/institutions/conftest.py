"""A second institution and a second evaluator, so that every boundary has an outsider."""

import pytest

from tests.factories import make_org, make_user


@pytest.fixture
def users(orgs):

    orgs["institution2"] = make_org("另一家新型研发机构", "nri")
    personas = {
        "bureau": make_user("t_bureau", "bureau", orgs["bureau"]),
        "university": make_user("t_university", "university", orgs["university"]),
        "university2": make_user("t_university2", "university", orgs["university2"]),
        "enterprise": make_user("t_enterprise", "enterprise", orgs["enterprise"]),
        "enterprise2": make_user("t_enterprise2", "enterprise", orgs["enterprise2"]),
        "manager": make_user("t_manager", "manager", None),
        "institution": make_user("t_institution", "institution", orgs["institution"]),
        "institution2": make_user("t_institution2", "institution", orgs["institution2"]),
        "evaluator": make_user("t_evaluator", "evaluator", orgs["evaluator"]),
        "evaluator2": make_user("t_evaluator2", "evaluator", orgs["evaluator"]),
        "public": make_user("t_public", "public", None),
    }
    return personas
