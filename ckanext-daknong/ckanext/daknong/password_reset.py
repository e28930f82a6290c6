"""The password-reset request answers the same whether the account exists or not.

Upstream's ``user.request_reset`` view tells them apart: for an existing account whose mail
cannot be sent it flashes "Error sending the email", for a missing one "A reset link has been
emailed". An attacker with the portal's address could list which names and e-mails have
accounts (Low finding; QĐ 43 Art. 12.3, credentials kept secret). This view answers one
message for every input; mail failures go to the log for the administrator.
"""

from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import captcha, mailer, signals
from flask import request
from sqlalchemy import func

log = logging.getLogger(__name__)

ENDPOINT = "user.request_reset"


def _accounts(typed: str) -> list[model.User]:
    """Active accounts named by ``typed``: by e-mail if it has an ``@`` (names cannot)."""
    query = model.Session.query(model.User).filter(model.User.state == model.State.ACTIVE)
    if "@" in typed:
        # exact match, case-insensitive; ilike would read "%" and "_" as wildcards
        return query.filter(func.lower(model.User.email) == typed.lower()).all()
    return query.filter(model.User.name == typed.lower()).all()


def _send(users: list[model.User]) -> None:
    for user in users:
        try:
            mailer.send_reset_link(user)
            signals.request_password_reset.send(user.name, user=user)
        except mailer.MailerException:
            log.exception("password reset: the link for user %s could not be sent", user.name)


def request_reset_post() -> Any:
    """POST of the reset form: one answer, the same status and text, for every input."""
    try:
        tk.check_access("request_reset", {"user": tk.current_user.name})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Unauthorized to request reset password."))
    try:
        captcha.check_recaptcha(request)
    except captcha.CaptchaError:
        tk.h.flash_error(tk._("Bad Captcha. Please try again."))
        return tk.redirect_to(ENDPOINT)
    typed = request.form.get("user", "").strip()
    if not typed:
        tk.h.flash_error(tk._("Email is required"))
        return tk.redirect_to(ENDPOINT)
    _send(_accounts(typed))
    tk.h.flash_success(
        tk._(
            "If an account with this name or e-mail address exists, a link to reset its "
            "password has been e-mailed to its owner."
        )
    )
    return tk.redirect_to(tk.config.get("ckan.user_reset_landing_page"))


def replace_request_reset(app: Any) -> None:
    """Put the uniform answer in place of upstream's POST handler; GET stays upstream's page."""
    upstream = app.view_functions.get(ENDPOINT)
    if upstream is None:
        return

    def request_reset(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            return request_reset_post()
        return upstream(*args, **kwargs)

    request_reset.__doc__ = request_reset_post.__doc__
    app.view_functions[ENDPOINT] = request_reset
