"""The one error contract (lib.errors): what a form, the API and the command line show."""

from __future__ import annotations

from django import forms

from wicketgate.contacts.actions import ContactError
from wicketgate.lib.errors import ActionError
from wicketgate.web.forms.base import GovukForm


class ChildForm(GovukForm):
    ACTION_FIELDS = {"name": "given_name"}
    given_name = forms.CharField()
    date_of_birth = forms.CharField()


def bound() -> ChildForm:
    form = ChildForm(data={"given_name": "Ann", "date_of_birth": "2020-01-01"})
    assert form.is_valid()
    return form


def test_the_command_line_and_the_api_read_the_field_first() -> None:
    assert str(ActionError("say why", field="reason")) == "reason: say why"
    refused = ActionError("the most is 42 days", field="days", subject="50")
    assert str(refused) == "days 50: the most is 42 days"
    assert str(ActionError("VC-1 has ended")) == "VC-1 has ended"


def test_a_form_shows_the_message_beside_the_field_the_action_names() -> None:
    form = bound()
    form.add_action_error(ContactError("a child must be under 18", field="date_of_birth"))
    assert form.errors == {"date_of_birth": ["A child must be under 18"]}


def test_a_form_maps_the_actions_name_for_a_field_to_its_own() -> None:
    form = bound()
    form.add_action_error(ContactError("give the first and last names", field="name"))
    assert form.errors == {"given_name": ["Give the first and last names"]}


def test_a_field_the_form_does_not_have_goes_to_the_top_of_the_page() -> None:
    form = bound()
    form.add_action_error(ContactError("this link is not valid", field="token"))
    assert form.non_field_errors() == ["This link is not valid"]
    form = bound()
    form.add_action_error(ContactError("CL-3 is refused"))
    assert form.non_field_errors() == ["CL-3 is refused"]
