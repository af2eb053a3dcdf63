"""Workflow actions of ``/api/v1/contracts/``: precheck, submit, accept, return, review, register,
refuse, amend, cancel — the same rules as the pages (a party sees its own contracts, the registrar
those submitted; out of scope: 404; a move this user may not make: 403; a move impossible in this
state, a failed pre-check or a lost race: 409)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from xiake.core.review import TransitionError


class ActionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(
        required=False, min_value=0, help_text="The version you saw; 409 if it changed since."
    )


WORKFLOW_ACTIONS = frozenset(
    {"precheck", "submit", "accept", "return_", "review", "register", "refuse", "amend", "cancel"}
)


class ContractActionsMixin:
    def check_object_permissions(self, request, obj):
        if self.action in WORKFLOW_ACTIONS:
            return  # the workflow decides who may make which move
        super().check_object_permissions(request, obj)

    def _move(self, request, name):
        from xiake.contracts import workflow

        obj = self.get_object()
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = workflow.STEPS[name]
        if not workflow.may(obj, step, request.user):
            return Response(
                {"detail": "You may not make this move."}, status=status.HTTP_403_FORBIDDEN
            )
        if name == "submit" and obj.status in step.sources:
            problems = workflow.precheck(obj)
            if problems:
                return Response(
                    {
                        "detail": "The pre-check found problems.",
                        "problems": [p.as_dict() for p in problems],
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        try:
            workflow.transition(
                obj,
                name,
                request.user,
                data.validated_data.get("comment", ""),
                version=data.validated_data.get("version"),
            )
        except TransitionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(obj).data)

    @action(detail=True, methods=["get", "post"])
    def precheck(self, request, pk=None):
        """Everything that would cause a refusal, before submitting."""
        from xiake.contracts import workflow

        obj = self.get_object()
        problems = workflow.precheck(obj)
        return Response({"ok": not problems, "problems": [p.as_dict() for p in problems]})

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._move(request, "submit")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._move(request, "accept")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._move(request, "return")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._move(request, "review")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        return self._move(request, "register")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._move(request, "refuse")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        return self._move(request, "amend")

    @extend_schema(request=ActionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._move(request, "cancel")
