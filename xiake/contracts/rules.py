"""The registration rule sets that ship with the product (data; loaded by a data migration).

- ``2000``: 技术合同认定登记管理办法 (国科发政字〔2000〕063号, 2000-02-16) with the 技术合同认定规则
  (国科发政字〔2001〕253号): the registry decides within 30 (calendar) days; no expert threshold.
- ``miit-2026``: MIIT 技术合同认定登记管理办法 of 2026-01-23, which repeals both: 15 working days;
  技术交易额 ≥ 5,000,000 yuan or disputed contracts go to expert review (30 working days); a
  correction restarts the clock. The full text has not been read [U]; the effective date is taken
  as the date of issue until verified.

The pre-check requirements (attachments matched by words in the file name, the IP each
sub-category implies) are the product's reading of the rules, kept as data for the bureau to edit.
"""

PATENTS = ["invention", "utility", "design"]

REQUIREMENTS = {
    "attachments": [
        {
            "code": "contract_scan",
            "label": "合同文本扫描件（签字盖章）",
            "match": ["合同", "contract"],
        },
        {
            "code": "ip_certificate",
            "label": "知识产权证明（专利证书或受理通知书）",
            "match": ["专利", "证书", "受理", "patent", "certificate"],
            "subcategories": ["transfer_patent", "transfer_application", "license_patent"],
        },
    ],
    "ip": {
        "transfer_patent": PATENTS,
        "transfer_application": PATENTS,
        "license_patent": PATENTS,
        "transfer_know_how": ["know_how"],
        "license_know_how": ["know_how"],
        "transfer_other": ["software", "ic_layout", "plant_variety", "other"],
    },
    "ip_numbers_required": ["transfer_patent", "transfer_application", "license_patent"],
}

RULE_SETS = (
    {
        "code": "2000",
        "name": "技术合同认定登记管理办法（2000）及认定规则（2001）",
        "source": "国科发政字〔2000〕063号；国科发政字〔2001〕253号",
        "effective_from": "2000-02-16",
        "deadline_days": 30,
        "working_days": False,
        "expert_threshold": None,
        "expert_days": None,
        "disputed_to_experts": False,
        "correction_restarts": True,
        "requirements": REQUIREMENTS,
        "note": "30日内完成认定登记（自然日）。",
    },
    {
        "code": "miit-2026",
        "name": "技术合同认定登记管理办法（工业和信息化部 2026）",
        "source": "工业和信息化部 2026-01-23；全文未核实 [U]",
        "effective_from": "2026-01-23",
        "deadline_days": 15,
        "working_days": True,
        "expert_threshold": "5000000.00",
        "expert_days": 30,
        "disputed_to_experts": True,
        "correction_restarts": True,
        "requirements": REQUIREMENTS,
        "note": "15个工作日；技术交易额≥500万元或有争议的合同组织专家评审（30个工作日）；补正后重新计算。",
    },
)


def load_rule_sets(RuleSet=None) -> int:
    """Create or update the shipped rule sets by code; idempotent."""
    if RuleSet is None:
        from xiake.contracts.models import RegistrationRuleSet as RuleSet
    for data in RULE_SETS:
        fields = dict(data)
        RuleSet.objects.update_or_create(code=fields.pop("code"), defaults=fields)
    return len(RULE_SETS)
