"""``/api/v1/notifications/``: the user's own notifications, unread count, mark read."""

from django.urls import path
from django.utils import timezone
from rest_framework.decorators import api_view
from rest_framework.response import Response

from xiake.brokerage.models import Notification


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


urlpatterns = [
    path("notifications/", notifications_api, name="api-notifications"),
    path("notifications/read/", mark_read_api, name="api-notifications-read-all"),
    path("notifications/<int:pk>/read/", mark_read_api, name="api-notification-read"),
]
