"""``xiake demo``: fill the database with generated, clearly marked demo data (docs/demo.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from xiake.catalog.models import Achievement
from xiake.core.roles import Role
from xiake.demo import generate
from xiake.demo.accounts import DEMO_ACCOUNTS, add_missing_accounts, demo_password


class Command(BaseCommand):
    help = (
        "Generate deterministic demo data (organisations, achievements, demands, experts, "
        "platforms, intermediaries, transfer staff, universities) and one login per role."
    )

    def add_arguments(self, parser):
        d = generate.Options()
        parser.add_argument(
            "--seed",
            type=int,
            default=d.seed,
            help=f"random seed; the same seed gives the same data (default {d.seed})",
        )
        parser.add_argument(
            "--achievements",
            type=int,
            default=d.achievements,
            help=f"number of achievements (default {d.achievements})",
        )
        parser.add_argument("--demands", type=int, default=d.demands)
        parser.add_argument("--experts", type=int, default=d.experts)
        parser.add_argument("--platforms", type=int, default=d.platforms)
        parser.add_argument("--staff", type=int, default=d.staff, help="transfer staff")
        parser.add_argument("--enterprises", type=int, default=d.enterprises)
        parser.add_argument(
            "--corpus",
            metavar="FILE",
            help="JSONL or JSONL.gz with title/abstract/keywords per line: real "
            "text for the achievements (cycled when shorter)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any achievement already exists"
        )
        parser.add_argument(
            "--flush-demo", action="store_true", help="delete the existing demo records first"
        )
        parser.add_argument(
            "--flush-only",
            action="store_true",
            help="delete the demo records and the demo accounts, create nothing",
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="site address printed with the demo logins",
        )

    def handle(self, *args, **o):
        if o["if_empty"] and Achievement.objects.exists():
            self.stdout.write("Achievements already exist; demo data left unchanged (--if-empty).")
            added = add_missing_accounts()
            if added:
                self.stdout.write(f"Demo accounts added: {', '.join(added)}")
            self._print_logins(o["url"])
            return
        if o["flush_only"]:
            from django.db import transaction

            with transaction.atomic():
                try:
                    flushed = generate.flush()
                except generate.DemoError as exc:
                    raise CommandError(str(exc)) from None
                flushed["demo accounts"] = generate.delete_accounts()
            self._table("Deleted", flushed)
            return
        for name in ("achievements", "demands", "experts", "platforms", "staff", "enterprises"):
            if o[name] < 0:
                raise CommandError(f"--{name} must not be negative")
        opts = generate.Options(
            seed=o["seed"],
            achievements=o["achievements"],
            demands=o["demands"],
            experts=o["experts"],
            platforms=o["platforms"],
            staff=o["staff"],
            enterprises=max(o["enterprises"], 10),
            corpus=o["corpus"],
        )
        try:
            result = generate.generate(opts, flush_first=o["flush_demo"])
        except generate.DemoError as exc:
            raise CommandError(str(exc)) from None
        if result.flushed:
            self._table("Deleted first", result.flushed)
        self._table(
            f"Demo data (seed {opts.seed}) written in {result.seconds:.1f} s", result.counts
        )
        self._print_logins(o["url"])

    def _print_logins(self, url):
        url = url.rstrip("/") + "/"
        self.stdout.write(f"\nxiake is served at {url}")
        self.stdout.write(f"Demo logins at {url}accounts/login/ — password {demo_password()}")
        from xiake.accounts.mfa import privileged

        names = [u for u, _r in DEMO_ACCOUNTS]
        users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
        for username, role in DEMO_ACCOUNTS:
            second = ""
            if username in users and privileged(users[username]):
                second = f"  + code: xiake otp_code {username}"
            self.stdout.write(f"  {username:<12} {Role(role).label}{second}")
        self.stdout.write(
            "Accounts marked '+ code' give a second factor after the password: run the command "
            "shown (e.g. .venv/bin/xiake otp_code bureau) and type the 6 digits it prints."
        )

    def _table(self, heading, counts):
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        width = max((len(k) for k in counts), default=10)
        for k, v in counts.items():
            self.stdout.write(f"  {k:<{width}}  {v:>7,}")
