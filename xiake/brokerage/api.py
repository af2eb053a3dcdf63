"""``/api/v1/notifications/``: the user's own notifications, unread count, mark read;
``/api/v1/subscriptions/``: the user's own subscriptions (list, add, remove)."""

from django.urls import path
from django.utils import timezone
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from xiake.brokerage.models import Notification, Subscription


@api_view(["GET"])
def notifications_api(request):
    qs = Notification.objects.restrict(request.user, "view")
    return Response(
        {
            "unread": qs.unread().count(),
            "results": [
                {
                    "id": n.pk,
                    "title": n.title,
                    "url": n.url,
                    "created_at": n.created_at,
                    "read": n.read_at is not None,
                }
                for n in qs[:100]
            ],
        }
    )


@api_view(["POST"])
def mark_read_api(request, pk=None):
    qs = Notification.objects.restrict(request.user, "view").unread()
    if pk is not None:
        qs = qs.filter(pk=pk)
    return Response({"marked": qs.update(read_at=timezone.now())})


def _subscription(s: Subscription) -> dict:
    return {
        "id": s.pk,
        "kind": s.kind,
        "term": s.term.code if s.term_id else None,
        "keyword": s.keyword,
        "frequency": s.frequency,
    }


@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def subscriptions_api(request):
    """GET the user's subscriptions; POST {kind, term (code) | keyword, frequency} adds one."""
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from xiake.brokerage.views import SubscriptionForm

    if request.method == "GET":
        qs = Subscription.objects.restrict(request.user, "view").select_related("term")
        return Response({"results": [_subscription(s) for s in qs]})
    data = dict(request.data.items())
    term_field = {"industry": "industry", "discipline": "discipline"}.get(data.get("kind"))
    if term_field:
        data[term_field] = data.get("term", "")
    form = SubscriptionForm(data)
    if not form.is_valid():
        return Response(form.errors.get_json_data(), status=400)
    try:
        sub = form.subscription(request.user)
        with transaction.atomic():
            sub.save()
    except ValidationError as exc:
        return Response(exc.message_dict, status=400)
    except IntegrityError:
        return Response({"detail": "already subscribed"}, status=409)
    return Response(_subscription(sub), status=201)


@api_view(["DELETE"])
@permission_classes([IsAuthenticated])
def subscription_delete_api(request, pk):
    deleted, _ = Subscription.objects.restrict(request.user, "delete").filter(pk=pk).delete()
    return Response(status=204 if deleted else 404)


urlpatterns = [
    path("subscriptions/", subscriptions_api, name="api-subscriptions"),
    path("subscriptions/<int:pk>/", subscription_delete_api, name="api-subscription"),
    path("notifications/", notifications_api, name="api-notifications"),
    path("notifications/read/", mark_read_api, name="api-notifications-read-all"),
    path("notifications/<int:pk>/read/", mark_read_api, name="api-notification-read"),
]
