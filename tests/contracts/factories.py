"""Contracts for tests: a draft with the minimum, or one that passes the pre-check."""

import datetime as dt
import itertools
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import term
from xiake.contracts.models import TechContract
from xiake.core.models import Attachment

_seq = itertools.count(1)


def make_contract(org, buyer=None, **kwargs):
    n = next(_seq)
    defaults = dict(
        title=f"高强度焊接工艺技术开发合同{n}",
        category=term("contract_type", "development"),
        subcategory=term("contract_type", "development_commissioned"),
        total_amount=Decimal("300000.00"),
        non_technical_amount=Decimal("50000.00"),
        buyer_org=buyer,
    )
    defaults.update(kwargs)
    return TechContract.objects.create(owner_org=org, **defaults)


def attach(contract, name="技术开发合同扫描件.pdf"):
    return Attachment.objects.create(
        parent=contract, file=ContentFile(b"%PDF-1.4\n", name=name), name=name, size=9
    )


def make_ready(org, buyer, **kwargs):
    """A contract that passes the pre-check (parties complete, amounts add up, scan attached)."""
    if not org.credit_code:
        org.credit_code = f"12320000{next(_seq):010d}"[:18]
        org.save()
    defaults = dict(
        seller_party_type=term("party_type", "022"),
        seller_region="320115",
        buyer_party_type=term("party_type", "100"),
        buyer_region="320115",
        subject="委托开发双相不锈钢管焊接工艺，焊缝耐点蚀当量提高30%。",
        signed_on=timezone.localdate() - dt.timedelta(days=3),
        technical_field=term("contract_field", "manufacturing"),
    )
    defaults.update(kwargs)
    contract = make_contract(org, buyer, **defaults)
    attach(contract)
    return contract
