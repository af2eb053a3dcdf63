from rest_framework.permissions import SAFE_METHODS, BasePermission


class ModelPolicyPermission(BasePermission):
    """Delegates to the model's policy; row visibility itself comes from ``restrict`` (404)."""

    def has_permission(self, request, view):
        model = getattr(getattr(view, "queryset", None), "model", None)
        if request.method in SAFE_METHODS or model is None:
            return True
        if not request.user.is_authenticated:
            return False
        if getattr(view, "action", None) == "create":
            return model.policy.can_create(request.user)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        action = {"DELETE": "delete"}.get(request.method, "change")
        if getattr(view, "action", None) == "transition":
            return True  # the workflow checks who may do which move
        return type(obj).policy.can(request.user, obj, action)
