"""Words for the codes the console shows: case states, decisions, the station's own states,
material forms, audit actions, and the notices and problems a page reports after a form.
Unknown codes are shown as they are."""

from __future__ import annotations

from typing import Any

from forms.i18n import _


def case_state(state: str) -> str:
    return {
        "received": _("Awaiting decision"),
        "accepted": _("Accepted"),
        "returned": _("Returned for supplement"),
        "refused": _("Refused"),
        "completed": _("Completed"),
        "withdrawn": _("Withdrawn"),
        "delivered": _("Delivered"),
    }.get(state, state)


CASE_STATES = ("received", "accepted", "returned", "refused", "completed", "withdrawn",
               "delivered")


def event_kind(kind: str) -> str:
    return {
        "accepted": _("Accepted by the township"),
        "returned": _("Returned for supplement by the township"),
        "refused": _("Refused by the township"),
        "completed": _("Completed by the township"),
        "message": _("Message to the station"),
        "resend": _("Resend requested"),
    }.get(kind, kind)


def station_state(state: Any) -> str:
    """A state of the case at the station (from the case's own timeline)."""
    if not isinstance(state, str):
        return "–" if state is None else str(state)
    return {
        "draft": _("draft"),
        "queued": _("queued"),
        "uploaded": _("uploaded"),
        "accepted": _("accepted"),
        "returned": _("returned"),
        "refused": _("refused"),
        "completed": _("completed"),
        "delivered": _("delivered"),
        "closed": _("closed"),
        "discarded": _("discarded"),
        "withdrawn": _("withdrawn"),
    }.get(state, state)


def received(kind: str, revision: int) -> str:
    what = {
        "submission": _("Revision {revision} received"),
        "withdrawal": _("Withdrawal received (revision {revision})"),
        "delivery": _("Delivery reported (revision {revision})"),
        "evaluation": _("Evaluation received (revision {revision})"),
        "materials": _("Materials brought later received (revision {revision})"),
    }.get(kind, _("Revision {revision} received"))
    return what.format(revision=revision)


def source(source: str) -> str:
    return {"online": _("online"), "bundle": _("by USB bundle")}.get(source, source)


def material_form(form: str) -> str:
    return {
        "original": _("Original"),
        "copy": _("Copy"),
        "original_and_copy": _("Original and copy"),
        "electronic": _("Electronic"),
    }.get(form, form)


def sex(code: object) -> str:
    """The applicant's sex as the station sends it (``M``/``F``, from the ID number)."""
    text = "" if code is None else str(code)
    return {"M": _("male"), "F": _("female")}.get(text, text)


def role(name: str) -> str:
    return {"reviewer": _("Reviewer"), "admin": _("Administrator")}.get(name, name)


def audit_action(action: str) -> str:
    return {
        "login": _("Signed in"),
        "login_failed": _("Sign-in refused"),
        "logout": _("Signed out"),
        "view_case": _("Viewed a case"),
        "view_page": _("Viewed a material page"),
        "view_result": _("Viewed a result file"),
        "accept": _("Accepted a case"),
        "return": _("Returned a case"),
        "refuse": _("Refused a case"),
        "complete": _("Completed a case"),
        "request_resend": _("Requested a resend"),
        "export_reconciliation": _("Exported the reconciliation"),
        "station_add": _("Created a station"),
        "station_code": _("Issued an enrolment code"),
        "station_revoke": _("Revoked a station"),
        "bundle_import": _("Imported a bundle"),
        "bundle_export": _("Wrote a return bundle"),
        "catalog_publish": _("Published a catalog release"),
    }.get(action, action)


def audit_problem(problem: str | None) -> str:
    return {
        "missing": _("an entry is missing before it"),
        "order": _("it does not follow the entry before"),
        "changed": _("its content was changed"),
        "truncated": _("entries at the end were removed"),
    }.get(problem or "", problem or "")


def notice(code: str) -> str | None:
    """The message of a notice a redirect names (None for an unknown one)."""
    return {
        "accepted": _("The case was accepted; the station will be told."),
        "returned": _("The case was returned for supplement; the station will be told."),
        "refused": _("The case was refused; the station will be told."),
        "completed": _("The case was completed; the station will be told."),
        "resend": _("The station was asked to send those items again."),
        "revoked": _("The station was revoked."),
    }.get(code)


def problem(code: str) -> str | None:
    """The message of a problem a redirect names (None for an unknown one)."""
    return {
        "reason": _("Write the reason."),
        "result": _("Write the result text."),
        "decision": _("The case's state does not allow that any more; see its timeline."),
        "file": _("The result file is too large or has no name."),
        "seqs": _("Name the sequence numbers to resend, e.g. 3, 5-7."),
        "confirm": _("Tick the box to confirm."),
        "name": _("A station name is 1 to 255 characters."),
    }.get(code)
