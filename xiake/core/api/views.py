"""ViewSets derived from resources; the router registers one per resource with an ``api_name``."""

from collections.abc import Mapping

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from xiake.core import pagecache
from xiake.core.api.serializers import serializer_for
from xiake.core.resources import registry
from xiake.core.review import TRANSITIONS, TransitionError
from xiake.core.roles import is_bureau


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ResourceViewSet(viewsets.ModelViewSet):
    resource = None

    def list(self, request, *args, **kwargs):
        """Anonymous list answers come from the page cache while the library is unchanged.

        The rendered bytes are kept (per negotiated format), not the data: serialising and
        rendering 20 records cost more than the rest of a cached request. Only JSON is kept: the
        browsable API's HTML carries the first visitor's CSRF token.
        """
        self.page_cache_key = None
        if pagecache.cacheable(request) and request.accepted_renderer.format == "json":
            key = pagecache.response_key(self.resource.model, request, "api-json")
            cached = pagecache.get(key)
            if cached is not None:
                content_type, content = cached
                return HttpResponse(content, content_type=content_type)
            self.page_cache_key = key
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "page_cache_key", None)
        if key and isinstance(response, Response) and response.status_code == 200:
            response.render()
            pagecache.put(key, (response["Content-Type"], response.content))
        return response

    def get_queryset(self):
        fields = self.get_serializer_class().Meta.fields
        return self.resource.queryset(self.request.user, "view", columns=fields)

    def get_serializer(self, *args, **kwargs):
        """Members always write for their own organisation, whatever the payload says."""
        owner = self.resource.owner_field
        data = kwargs.get("data")
        # a body that is not an object (a JSON list, a number) is left to the serializer's 400
        if owner and isinstance(data, Mapping) and not is_bureau(self.request.user):
            data = data.copy() if hasattr(data, "copy") else dict(data)
            if self.action == "create":
                data[owner] = self.request.user.organization_id
            else:
                data.pop(owner, None)
            kwargs["data"] = data
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save(created_by=self.request.user)


class ReviewedViewSetMixin:
    @extend_schema(request=TransitionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the record through the review workflow (submit, publish, return, reject…)."""
        obj = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            obj.transition(
                data.validated_data["action"], request.user, data.validated_data.get("comment", "")
            )
        except TransitionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(obj).data)


def viewset_for(resource):
    bases = (ReviewedViewSetMixin, ResourceViewSet) if resource.is_reviewed else (ResourceViewSet,)
    # A resource may add actions of its own workflow (contracts: submit, register…).
    bases = (*getattr(resource, "api_mixins", ()), *bases)
    return type(
        f"{resource.model.__name__}ViewSet",
        bases,
        {
            "resource": resource,
            "queryset": resource.model.objects.all(),
            "serializer_class": serializer_for(resource),
            "filterset_class": resource.filterset_class,
        },
    )


def build_router() -> DefaultRouter:
    router = DefaultRouter()
    for resource in registry().values():
        if resource.api_name:
            router.register(resource.api_name, viewset_for(resource), basename=resource.api_name)
    return router
