"""The one place row-level rules are applied: ``Model.objects.restrict(user, action)``."""

from django.db import models

from xiake.core.crypto import PlaintextValuesMixin


class RestrictedQuerySet(PlaintextValuesMixin, models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the rows ``user`` may ``action`` (view, change, delete, review), per the model's policy."""
        policy = getattr(self.model, "policy", None)
        if policy is None:
            raise TypeError(f"{self.model.__name__} declares no policy; refusing to guess.")
        return policy.scope(self, user, action)
