"""Demo logins, one per role, all with ``settings.XIAKE_DEMO_PASSWORD``.

``DEMO_ACCOUNTS`` is read by the login page to show the hint; keep it import-light (no models).
"""

from __future__ import annotations

from django.conf import settings

from xiake.core.roles import Role

# (username, role) — the order is the order of the hint on the login page.
DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("admin", Role.BUREAU.value),
    ("bureau", Role.BUREAU.value),
    ("university", Role.UNIVERSITY.value),
    ("enterprise", Role.ENTERPRISE.value),
    ("manager", Role.MANAGER.value),
    ("institution", Role.INSTITUTION.value),
    ("evaluator", Role.EVALUATOR.value),
]
DEMO_USERNAMES = tuple(u for u, _ in DEMO_ACCOUNTS)

# username → (family name, given name, job title)
PEOPLE = {
    "admin": ("系统", "管理员", "平台管理员"),
    "bureau": ("周", "明远", "科技成果转化科科长"),
    "university": ("陈", "思源", "技术转移中心主任"),
    "enterprise": ("王", "建国", "研发部经理"),
    "manager": ("李", "慧敏", "高级技术经理人"),
    "institution": ("赵", "启航", "综合管理部统计员"),
    "evaluator": ("孙", "立诚", "评估项目负责人"),
}


def demo_password() -> str:
    return getattr(settings, "XIAKE_DEMO_PASSWORD", "Xiake@demo1")


def create_accounts(orgs: dict) -> dict:
    """Create (or reset) the demo users; ``orgs`` maps username → Organization (or None).

    The password is hashed once and the hash shared: hashing seven times would cost seconds.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(demo_password())
    users = {}
    for username, role in DEMO_ACCOUNTS:
        last, first, job = PEOPLE[username]
        user = User.objects.filter(username=username).first() or User(username=username)
        user.password = hashed
        user.role = role
        user.organization = orgs.get(username)
        user.last_name, user.first_name, user.job_title = last, first, job
        user.email = f"{username}@example.com"
        user.phone = "025-85550000"
        user.is_active = True
        user.is_superuser = user.is_staff = username == "admin"
        user.save()
        users[username] = user
    return users
