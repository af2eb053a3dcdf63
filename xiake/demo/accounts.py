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
    ("sysadmin", Role.SYSTEM_ADMIN.value),
    ("secadmin", Role.SECURITY_ADMIN.value),
    ("auditor", Role.AUDIT_ADMIN.value),
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
    "sysadmin": ("吴", "振宇", "系统管理员"),
    "secadmin": ("郑", "安宁", "安全管理员"),
    "auditor": ("钱", "审之", "审计管理员"),
}


def demo_password() -> str:
    return getattr(settings, "XIAKE_DEMO_PASSWORD", "Xiake@demo1")


def add_missing_accounts() -> list[str]:
    """On a database the demo filled before an account was added to ``DEMO_ACCOUNTS`` (the three
    administrators), create just the missing ones, and give every privileged demo account that
    has none a demo authenticator; existing accounts and passwords are left alone."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    User = get_user_model()
    existing = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    if "bureau" not in existing:
        return []  # not a demo database
    missing = [name for name in DEMO_USERNAMES if name not in existing]
    created = []
    if missing:
        orgs = {name: user.organization for name, user in existing.items()}
        for name, user in create_accounts(orgs, only=missing).items():
            existing[name] = user
            created.append(name)
    without_device = [
        u
        for u in existing.values()
        if not TOTPDevice.objects.filter(user=u, confirmed=True).exists()
    ]
    provision_second_factors(without_device)
    return created


def create_accounts(orgs: dict, only=None) -> dict:
    """Create (or reset) the demo users; ``orgs`` maps username → Organization (or None).

    The password is hashed once and the hash shared: hashing seven times would cost seconds.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(demo_password())
    users = {}
    for username, role in DEMO_ACCOUNTS:
        if only is not None and username not in only:
            continue
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
    provision_second_factors(users.values())
    return users


def provision_second_factors(users) -> list[str]:
    """Demo accounts that need a second factor get an authenticator made by the demo, whose
    current code `xiake otp_code USERNAME` prints (nobody has to scan a QR code to try the demo)."""
    from xiake.accounts.mfa import privileged, provision_demo_device

    provisioned = []
    for user in users:
        if privileged(user):
            provision_demo_device(user)
            provisioned.append(user.username)
    return provisioned
