from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dlquiz.reminders.services import UnsubscribeError, reminders_unsubscribe


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (mail scanners follow links); POST (or one-click) unsubscribes."""
    if request.method == "GET" and "confirm" not in request.GET:
        return HttpResponse(
            "<!doctype html><meta charset=utf-8><title>dlquiz</title>"
            "<form method=post><p>停止接收每日复习提醒邮件？ / Stop daily review reminder e-mails?</p>"
            "<button type=submit>确认 / Confirm</button></form>"
        )
    try:
        reminders_unsubscribe(token=token)
    except UnsubscribeError as exc:
        return HttpResponse(f"<!doctype html><meta charset=utf-8><p>{exc}</p>", status=400)
    return HttpResponse("<!doctype html><meta charset=utf-8><p>已退订每日提醒。/ You are unsubscribed.</p>")
