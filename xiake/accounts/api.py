"""The API token endpoint, with the second factor for privileged accounts.

A privileged user (xiake.accounts.mfa.mfa_required) gets a token only by sending ``otp_token``
(the current code of the confirmed authenticator, or a backup code) beside the password; a wrong
code counts as a failed login towards the lockout. Without an enrolled authenticator the endpoint
refuses: enrolment happens in the browser.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from xiake.accounts import mfa


class TokenRequestSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        label=_("Verification code"), required=False, allow_blank=True, write_only=True
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if not mfa.mfa_required(user):
            return attrs
        request = self.context["request"]
        if not mfa.has_second_factor(user):
            raise serializers.ValidationError(
                {
                    "otp_token": _(
                        "Set up the second factor in the browser before asking for a token."
                    )
                }
            )
        code = attrs.get("otp_token", "")
        if not code:
            raise serializers.ValidationError(
                {"otp_token": _("This account needs the code of its authenticator.")}
            )
        if mfa.check_code(user, code) is None:
            mfa.record_failed_code(request._request, user)
            raise serializers.ValidationError(
                {"otp_token": _("The code is wrong or has expired; enter the code shown now.")}
            )
        return attrs


class ObtainTokenView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer


obtain_auth_token = ObtainTokenView.as_view()
