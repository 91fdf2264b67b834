from django.urls import path

from wicketgate.phone import questions
from wicketgate.phone.views import listen, live, portal, recordings, staff

app_name = "phone"

PRISONER = "staff/prisoners/<str:prison_number>/phone/"

urlpatterns = [
    path(PRISONER, staff.prisoner_phone, name="prisoner-phone"),
    path(f"{PRISONER}numbers/new", staff.add_number, name="prisoner-number-new"),
    path(f"{PRISONER}numbers/<int:pk>/", staff.number, name="prisoner-number"),
    path(f"{PRISONER}numbers/<int:pk>/decide", staff.decide_number, name="prisoner-number-decide"),
    path(f"{PRISONER}numbers/<int:pk>/remove", staff.remove_number, name="prisoner-number-remove"),
    path(f"{PRISONER}credit", staff.add_credit, name="prisoner-credit"),
    path(f"{PRISONER}pin", staff.new_pin, name="prisoner-pin"),
    path("staff/phone/numbers/", staff.waiting_numbers, name="phone-numbers"),
    path("staff/phone/live/", live.live_calls, name="live-phone-calls"),
    path("staff/phone/calls/<int:pk>/end", live.end_call, name="live-phone-call-end"),
    path("staff/phone/calls/<int:pk>/listen", listen.page, name="listen"),
    path("staff/phone/calls/<int:pk>/listen/offer", listen.offer, name="listen-offer"),
    path(
        "staff/phone/calls/<int:pk>/listen/<int:listening>/answer",
        listen.answer,
        name="listen-answer",
    ),
    path("staff/phone/calls/<int:pk>/listen/<int:listening>/stop", listen.stop, name="listen-stop"),
    path("staff/phone/calls/<int:pk>/recording.wav", recordings.recording, name="call-recording"),
    path("staff/establishments/<str:code>/phone-settings", staff.phone_settings, name="settings"),
    path(
        "phone/kamailio/<str:key>/credentials", questions.credentials, name="kamailio-credentials"
    ),
    path("phone/kamailio/<str:key>/decide", questions.decide, name="kamailio-decide"),
    path("phone/kamailio/<str:key>/failed", questions.failed, name="kamailio-failed"),
    path("phone/kamailio/<str:key>/answered", questions.answered, name="kamailio-answered"),
    path("phone/kamailio/<str:key>/ended", questions.ended, name="kamailio-ended"),
    path("portal/phone/", portal.my_phone, name="portal-phone"),
    path("portal/phone/numbers/new", portal.ask_for_number, name="portal-number-new"),
    path("portal/phone/pin", portal.change_pin, name="portal-pin"),
]
