"""Print the current second-factor code of a demo account (only a device the demo made)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from xiake.accounts.mfa import DEMO_DEVICE_NAME, current_code
from xiake.demo.accounts import DEMO_USERNAMES


class Command(BaseCommand):
    help = (
        "Print the 6-digit code a demo account's authenticator shows now. Works only for demo "
        "accounts whose authenticator the demo command created, never for one a person enrolled."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account {username!r}.")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if username not in DEMO_USERNAMES or device is None or device.name != DEMO_DEVICE_NAME:
            raise CommandError(
                f"{username} has no authenticator made by the demo; its code is only on its "
                "owner's phone."
            )
        self.stdout.write(current_code(device))
