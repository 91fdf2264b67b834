"""A phone call's recording, to staff who may play recordings (``VIEW_RECORDINGS``); a
call at another establishment, or one with no recording, is a 404. Each playing is
recorded (``phone.recordings.do_play_phone_recording``)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.recordings import do_play_phone_recording
from wicketgate.web.decorators import staff_required


@require_GET
@never_cache
@staff_required
def recording(request: HttpRequest, pk: int) -> FileResponse:
    call = get_object_or_404(
        PhoneCall.objects.for_user(request.user, Action.VIEW_RECORDINGS).select_related(
            "prisoner__establishment"
        ),
        pk=pk,
    )
    try:
        found = do_play_phone_recording(call, actor=Actor.of_user(request.user))
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(found.open("rb"), content_type="audio/wav")
