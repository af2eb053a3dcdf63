"""Meta-tests: every registered resource is covered by the generic contract."""

from tests.base import ResourceContract
from tests.brokerage import test_cases as brokerage_cases
from tests.catalog import test_resources
from tests.contracts import test_resources as contract_resources
from tests.institutions import test_resources as institution_resources
from tests.liaison import (
    test_compilation,
    test_consultations,
    test_docking,
    test_events,
    test_finance,
    test_funding,
    test_meetings,
)
from tests.portal import test_news_and_policies
from xiake.core.resources import registry

# Test modules holding contract classes; each app adds its own.
CONTRACT_MODULES = [
    test_resources,
    test_docking,
    test_meetings,
    test_events,
    test_consultations,
    test_finance,
    test_compilation,
    test_funding,
    institution_resources,
    contract_resources,
    brokerage_cases,
    test_news_and_policies,
]


def test_every_resource_has_contract_tests():
    tested = {
        cls.model
        for module in CONTRACT_MODULES
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, ResourceContract) and cls.model
    }
    from tests.accounts.test_organizations import TestOrganizations

    tested.add(TestOrganizations.model)
    missing = [key for key, r in registry().items() if r.model not in tested]
    assert not missing, f"resources without contract tests: {missing}"


def test_every_model_field_in_a_form_has_a_filter_or_is_free_text():
    """Classifications and choices must be filterable (style.md §3)."""
    for key, resource in registry().items():
        filters = set(resource.filterset_class.base_filters)
        for name in resource.form_fields:
            f = resource.field(name)
            if f.choices or (f.is_relation and f.related_model._meta.label == "taxonomy.Term"):
                assert name in filters, f"{key}.{name} has no filter"
