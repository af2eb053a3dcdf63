"""The workflow panel on a contract's page (a ``core.views.detail_section_providers`` entry)."""

from django.template.loader import render_to_string

from xiake.contracts import workflow
from xiake.contracts.models import TechContract
from xiake.core.masking import confidential_hidden
from xiake.core.views import detail_section_providers


def workflow_panel(request, resource, obj):
    if not isinstance(obj, TechContract):
        return None
    user = request.user
    steps = workflow.available_steps(obj, user)
    is_party = TechContract.policy.can_act_as_party(user, obj)
    problems = workflow.precheck(obj) if is_party and obj.status in ("draft", "returned") else None
    return render_to_string(
        "contracts/panel.html",
        {
            "object": obj,
            "steps": steps,
            "problems": problems,
            "can_change": TechContract.policy.can(user, obj, "change"),
            "payments": obj.payments.all(),
            # a confidential contract's amounts (and its payments, which add up to them)
            "amounts_hidden": confidential_hidden(obj, user),
        },
        request=request,
    )


detail_section_providers.append(workflow_panel)
