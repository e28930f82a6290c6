"""Web hardening of the portal's origin (QĐ 43 Art. 12: protecting the shared database).

Three things, all registered by the core plugin class (``DaknongPlugin``), none by importing a
module:

* CSRF for the extensions' forms: CKAN 2.11 exempts every plugin blueprint from Flask-WTF's
  check while ``ckan.csrf_protection.ignore_extensions`` is true (its default). ``configure``
  forces it off before the Flask app is built, so a deployment that forgets the line in its ini
  file is still protected (finding H2).
* Security headers on every answer (pages, API, downloads, error pages): ``HeadersMiddleware``
  wraps the Flask application's own ``wsgi_app``, so it sees every response, including those
  that other hooks replace after the view, and the test client sees what a browser sees.
* Uploaded files are never active content from the portal's origin (finding H3):
  ``harden_download`` runs after CKAN's ``resource.download`` view (any dataset type). A file
  whose type is not on a small safe list is sent as an attachment of type
  ``application/octet-stream``; every download carries ``nosniff`` and a ``sandbox`` CSP, so
  even a file a browser renders runs no script with the portal's cookies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

import ckan.plugins.toolkit as tk
from flask import current_app, request
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ckanext.daknong import password_reset

CSRF_IGNORE_EXTENSIONS = "ckan.csrf_protection.ignore_extensions"

# The policy for a download: no script, no plugin, no form, no same-origin access, whatever
# the file is. Images and styles of the file itself may still show.
DOWNLOAD_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

# Responses that are embedded by the portal's own pages (CKAN's resource views are iframes).
GRAVATAR_DEFAULT = "ckan.gravatar_default"

_EMBEDDED_VIEWS = ("ckan.views.resource.view",)
_DOWNLOAD_VIEW = "ckan.views.resource.download"


def configure(config: Any) -> None:
    """Called from ``IConfigurer.update_config``: CSRF protection for every plugin's forms,
    and no avatar from a third-party host.

    CKAN reads the option after the plugins' ``update_config`` when it builds the Flask app,
    so setting it here cannot be forgotten by a deployment's ini file; a deployment that set
    it to true is overridden (the ini files of the project say false as well).
    """
    config[CSRF_IGNORE_EXTENSIONS] = False
    # No page makes a browser ask another host for anything (issue 12, no third-party
    # requests): CKAN's default avatar is a Gravatar image, which hands every visitor's
    # address and an unsalted hash of each user's e-mail address to a foreign service
    # (personal data, NĐ 13/2023). The placeholder avatar is CKAN's own inline image.
    config[GRAVATAR_DEFAULT] = "disabled"


def served_by_portal(url: str) -> bool:
    """Whether a browser shown ``url`` asks the portal for it, not another host: a path or an
    uploaded file's name, or an absolute URL on ``ckan.site_url``'s host and port."""
    parts = urlsplit(str(url).strip())
    if not parts.scheme and not parts.netloc:
        return True
    own = urlsplit(str(tk.config.get("ckan.site_url") or ""))
    return parts.scheme in ("http", "https") and (parts.hostname, parts.port) == (
        own.hostname,
        own.port,
    )


# --- headers of every answer -----------------------------------------------------------------


def _https_site() -> bool:
    return str(tk.config.get("ckan.site_url") or "").lower().startswith("https://")


def _frame_ancestors() -> str:
    return str(tk.config.get("ckanext.daknong.security.frame_ancestors") or "'none'").strip()


def common_headers() -> list[tuple[str, str]]:
    """The headers every answer carries unless the view set its own (read per request)."""
    ancestors = _frame_ancestors()
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", str(tk.config.get("ckanext.daknong.security.referrer_policy"))),
    ]
    frame_option = {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(ancestors)
    if frame_option:
        headers.append(("X-Frame-Options", frame_option))
    csp = str(tk.config.get("ckanext.daknong.security.content_security_policy") or "").strip()
    csp = "; ".join(part for part in (csp.rstrip("; "), f"frame-ancestors {ancestors}") if part)
    headers.append(("Content-Security-Policy", csp))
    max_age = tk.asint(tk.config.get("ckanext.daknong.security.hsts_max_age"))
    if _https_site() and max_age > 0:
        headers.append(("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"))
    return headers


class HeadersMiddleware:
    """WSGI wrapper of Flask's ``wsgi_app``: adds the common headers the answer lacks."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def add_headers(status: str, response_headers: list[tuple[str, str]], *exc: Any) -> Any:
            present = Headers(response_headers)
            extra = [(k, v) for k, v in common_headers() if k not in present]
            return start_response(status, [*response_headers, *extra], *exc)

        return self.wsgi_app(environ, add_headers)


# --- uploaded files --------------------------------------------------------------------------


def _inline_types() -> set[str]:
    value = tk.config.get("ckanext.daknong.security.inline_download_types") or []
    if isinstance(value, str):
        value = value.split()
    return {t.strip().lower() for t in value if t.strip()}


def _view_path() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    return f"{view.__module__}.{view.__name__}" if view else ""


def harden_download(response: Any) -> Any:
    """``after_request``: the answers of ``resource.download`` and of embedded views.

    A download is inert whatever its declared type: ``nosniff`` and a sandbox policy always;
    a type off the safe list (HTML, SVG, XML, JavaScript, PDF, unknown) goes out as an
    ``application/octet-stream`` attachment, so the browser saves it instead of rendering it.
    The declared type comes from the resource's ``mimetype``, which any editor can set through
    the API, so it is never trusted for more than choosing between inline and attachment.
    """
    view = _view_path()
    if view in _EMBEDDED_VIEWS:
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        csp = str(tk.config.get("ckanext.daknong.security.content_security_policy") or "")
        csp = "; ".join(p for p in (csp.strip().rstrip("; "), "frame-ancestors 'self'") if p)
        response.headers.setdefault("Content-Security-Policy", csp)
        return response
    if view != _DOWNLOAD_VIEW or response.status_code >= 300:
        return response
    mimetype = (response.mimetype or "").lower()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    if mimetype not in _inline_types():
        response.headers["Content-Type"] = "application/octet-stream"
        filename = (request.view_args or {}).get("filename")
        response.headers["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str | None) -> str:
    """``Content-Disposition: attachment``, with the file's name quoted safely (RFC 6266)."""
    if not filename:
        return "attachment"
    plain = "".join(c for c in filename if c.isascii() and c.isprintable() and c not in '"\\')
    return f"attachment; filename=\"{plain or 'download'}\"; filename*=UTF-8''{quote(filename)}"


# --- where login and logout may send the user ------------------------------------------------

_REDIRECT_PARAMETERS = ("came_from", "next")
_LOGIN_ENDPOINTS = ("user.login", "user.logout")


def is_local_path(target: str) -> bool:
    """Whether ``target`` is a path on this portal: ``/x``, never ``//host``, ``/\\host``, ``\\x``.

    Browsers read a backslash as a slash and drop tabs and newlines, so any of them makes the
    target unsafe; upstream's ``url_is_local`` let ``\\evil`` through (then a 500) and
    ``/\\evil.example`` (an open redirect).
    """
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return False
    parsed = urlsplit(target)
    return not parsed.scheme and not parsed.netloc


def drop_unsafe_redirects() -> None:
    """``before_request`` of login and logout: an off-site ``came_from``/``next`` is ignored.

    The user then lands on CKAN's default page (the dashboard, or "logged out"), as if no
    target had been given: never a 500, never another site.
    """
    if request.endpoint not in _LOGIN_ENDPOINTS:
        return
    unsafe = [
        key
        for key in _REDIRECT_PARAMETERS
        if any(not is_local_path(v) for v in request.args.getlist(key))
    ]
    if unsafe:
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in unsafe]
        request.args = ImmutableMultiDict(kept)  # type: ignore[misc]


# --- upstream views that let a logic error escape ----------------------------------------------
# Found by the policy matrix: ckanext-activity's "changes" pages without both activity ids call
# activity_show(id=None) and let its NotFound escape; its user activity page lets user_show's
# NotAuthorized escape for anonymous visitors. Each was a 500 with a stack trace in the log.
VIEWS_LETTING_LOGIC_ERRORS_ESCAPE = (
    "activity.package_changes_multiple",
    "activity.organization_changes_multiple",
    "activity.group_changes_multiple",
    "activity.user_activity",
)


def _answering_logic_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def answering(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except tk.ObjectNotFound:
            return tk.abort(404, tk._("Not found"))
        except tk.NotAuthorized:
            return tk.abort(403, tk._("Not authorized to see this page"))

    return answering


def answer_logic_errors(app: Any) -> None:
    """A missing object is a 404 and a refusal a 403 on these views, as on CKAN's own."""
    for endpoint in VIEWS_LETTING_LOGIC_ERRORS_ESCAPE:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = _answering_logic_errors(view)


def install(app: Any) -> Any:
    """Called from ``IMiddleware.make_middleware`` with CKAN's Flask app."""
    answer_logic_errors(app)
    app.before_request(drop_unsafe_redirects)
    app.after_request(harden_download)
    password_reset.replace_request_reset(app)
    app.wsgi_app = HeadersMiddleware(app.wsgi_app)
    return app
