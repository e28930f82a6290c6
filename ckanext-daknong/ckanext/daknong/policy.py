"""The action policy (deny by default): ``data/action_policy.yaml``, enforced.

Every action registered in the running CKAN and every Flask endpoint has a policy in that table
(the vocabulary is documented at its top and in docs/access.md). Three layers enforce it:

* auth functions: the auth function of every registered action is chained (or, where no plugin
  registers one, provided) so that ``check_access`` and ``h.check_access`` run the policy's
  gate first; the auth function registered upstream still decides afterwards, except for
  ``disabled``, which refuses everyone, sysadmins included;
* actions: for gated policies (``logged_in``, ``agency_user``, ``sysadmin``, ``disabled``) the
  action itself is chained too, because several actions never call ``check_access`` (most of
  ckanext-harvest's source actions, its mail helpers) or validate and look objects up before
  they do (so a caller below the gate would learn a 404 or 409 instead of 403);
* web requests: an app-wide ``before_request`` gate applies the routes' policies, and for
  ``/api/action/<name>`` the called action's own policy, before any view runs.

Internal calls that pass ``ignore_auth`` are not gated (CKAN skips auth for them). A registered
action or endpoint missing from the table is refused: a plugin upgrade cannot open a hole
silently, and tests/test_policy.py names what must be classified.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.daknong import access, membership, resources

PUBLIC = "public"
PUBLIC_FILTERED = "public_filtered"
UPSTREAM = "upstream"
LOGGED_IN = "logged_in"
AGENCY_USER = "agency_user"
SYSADMIN = "sysadmin"
DISABLED = "disabled"
ACTION = "action"  # routes only: the gate of the called action's own policy

OPEN_POLICIES = frozenset({PUBLIC, PUBLIC_FILTERED, UPSTREAM})
GATED_POLICIES = frozenset({LOGGED_IN, AGENCY_USER, SYSADMIN, DISABLED})
ACTION_POLICIES = OPEN_POLICIES | GATED_POLICIES
ROUTE_POLICIES = ACTION_POLICIES | {ACTION}

_CORE_MODULES = ("get", "create", "update", "delete", "patch")


# --- the table ---------------------------------------------------------------------------------


def table() -> dict[str, Any]:
    """The parsed policy file (read once per process)."""
    return resources.load_yaml("action_policy.yaml")


def policy_of(name: str) -> str | None:
    """The policy of an action, or ``None`` when the table has no entry (refused)."""
    entry = table()["actions"].get(name)
    return entry.get("policy") if entry else None


def route_policy_of(endpoint: str) -> str | None:
    entry = table()["routes"].get(endpoint)
    return entry.get("policy") if entry else None


def content_actions() -> frozenset[str]:
    """Actions that return dataset content: the sharing log marks their reads."""
    return _with_dataset_content("actions")


def content_routes() -> frozenset[str]:
    """Flask endpoints that serve dataset content."""
    return _with_dataset_content("routes")


# (section) -> (the table it was computed from, the names): asked at every read of a dataset
_content_names: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}


def _with_dataset_content(section: str) -> frozenset[str]:
    current = table()
    cached = _content_names.get(section)
    if cached is None or cached[0] is not current:
        names = frozenset(n for n, e in current[section].items() if e.get("content") == "dataset")
        cached = _content_names[section] = (current, names)
    return cached[1]


# --- the gate ----------------------------------------------------------------------------------


def refusal(policy: str | None, user: model.User | None) -> str | None:
    """Why ``user`` is below the gate of ``policy``, or ``None`` when the gate lets it pass.

    Unknown or missing policies refuse (fail closed). Sysadmins pass every gate but
    ``disabled``.
    """
    if policy in OPEN_POLICIES:
        return None
    if policy == DISABLED:
        return tk._("This action is disabled on this portal.")
    if policy not in GATED_POLICIES:
        return tk._("This action has no access policy on this portal; it is refused.")
    if user is None or user.is_anonymous:
        return tk._("Log in to continue")
    if user.sysadmin:
        return None
    if policy == LOGGED_IN:
        return None
    if policy == AGENCY_USER:
        if membership.organization_ids(user):
            return None
        return tk._("Only members of an agency can do this.")
    return tk._("Only system administrators can do this.")


def action_refusal(name: str, user: model.User | None) -> str | None:
    return refusal(policy_of(name), user)


def _context_user(context: dict[str, Any]) -> model.User | None:
    user = access.user_object(context)
    if not isinstance(user, model.User) or user.is_deleted():
        return None  # anonymous (flask-login's AnonymousUser too) or deleted
    return user


# --- what is registered besides this plugin ----------------------------------------------------


def _is_own(plugin: Any) -> bool:
    return getattr(plugin, "name", None) == "daknong"


def _upstream_auth_functions() -> dict[str, list[Any]]:
    """Auth functions of CKAN core and of the other loaded plugins, by name."""
    found: dict[str, list[Any]] = {}
    for module_name in _CORE_MODULES:
        module = importlib.import_module(f"ckan.logic.auth.{module_name}")
        for name, function in authz.get_local_functions(module):
            found.setdefault(name, []).append(function)
    for plugin in p.PluginImplementations(p.IAuthFunctions):
        if not _is_own(plugin):
            for name, function in plugin.get_auth_functions().items():
                found.setdefault(name, []).append(function)
    return found


def _upstream_actions() -> dict[str, list[Any]]:
    """Action functions of CKAN core and of the other loaded plugins, by name."""
    found: dict[str, list[Any]] = {}
    for module_name in _CORE_MODULES:
        module = importlib.import_module(f"ckan.logic.action.{module_name}")
        for name, function in authz.get_local_functions(module):
            found.setdefault(name, []).append(function)
    for plugin in p.PluginImplementations(p.IActions):
        if not _is_own(plugin):
            for name, function in plugin.get_actions().items():
                found.setdefault(name, []).append(function)
    return found


def _side_effect_free(name: str, functions: list[Any]) -> bool:
    """Whether CKAN serves the action over GET (core: everything in logic/action/get.py)."""
    core_get = importlib.import_module("ckan.logic.action.get")
    if name in dict(authz.get_local_functions(core_get)):
        return True
    return any(getattr(f, "side_effect_free", False) for f in functions)


def _is_chained_auth(function: Any) -> bool:
    return bool(getattr(function, "chained_auth_function", False))


def _is_chained_action(function: Any) -> bool:
    return bool(getattr(function, "chained_action", False))


# --- auth functions ----------------------------------------------------------------------------


def _decide(
    name: str, inner: Callable[..., Any], attributes_of: Any, context: dict, data_dict: dict
) -> dict[str, Any]:
    """The gate, then the inner auth function with CKAN's own pre-checks of its attributes.

    The chained partial carries this module's attributes (anonymous access allowed, sysadmins
    checked), so what CKAN would have decided from the inner function's attributes is decided
    here: sysadmins pass unless it checks them too; anonymous callers are refused unless it
    allows them.
    """
    user = _context_user(context)
    message = action_refusal(name, user)
    if message:
        return {"success": False, "msg": message}
    if (
        user is not None
        and user.sysadmin
        and not getattr(attributes_of, "auth_sysadmins_check", False)
    ):
        return {"success": True}
    if not getattr(attributes_of, "auth_allow_anonymous_access", False) and not context.get(
        "auth_user_obj"
    ):
        return {"success": False, "msg": tk._("Log in to continue")}
    return inner(context, data_dict)


def _mark_auth(function: Any, chained: bool) -> Any:
    function.auth_allow_anonymous_access = True
    function.auth_sysadmins_check = True
    if chained:
        function.chained_auth_function = True
    return function


def _chained_auth(name: str, own: Any | None) -> Any:
    """Gate → (the portal's own chained auth function) → the upstream auth function."""

    def auth(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]):
        if own is None:
            return _decide(name, next_auth, next_auth, context, data_dict)
        return _decide(name, functools.partial(own, next_auth), own, context, data_dict)

    auth.__name__ = name
    auth.__doc__ = f"Policy gate of {name} (data/action_policy.yaml), then upstream."
    return _mark_auth(auth, chained=True)


def _base_auth(name: str, own: Any | None) -> Any:
    """Gate → the portal's own auth function; for actions no plugin gave one, the gate alone."""

    def auth(context: dict[str, Any], data_dict: dict[str, Any]):
        if own is None:
            message = action_refusal(name, _context_user(context))
            return {"success": False, "msg": message} if message else {"success": True}
        return _decide(name, own, own, context, data_dict)

    auth.__name__ = name
    auth.__doc__ = f"Policy gate of {name} (data/action_policy.yaml)."
    return _mark_auth(auth, chained=False)


def auth_functions(own: dict[str, Any]) -> dict[str, Any]:
    """The core plugin's auth functions: ``own`` (logic/auth.py) behind the policy gates.

    Every action registered by core or a loaded plugin gets one; names of the table that
    nothing registers (e.g. harvest actions when ckanext-harvest is not loaded) get none.
    """
    upstream = _upstream_auth_functions()
    registered = set(_upstream_actions()) | set(_own_actions())
    result: dict[str, Any] = {}
    for name in sorted(registered | set(own)):
        mine = own.get(name)
        if mine is not None and not _is_chained_auth(mine):
            result[name] = _base_auth(name, mine)
        elif name in upstream:
            result[name] = _chained_auth(name, mine)
        elif mine is None:
            result[name] = _base_auth(name, None)
        elif name in registered:
            result[name] = mine  # chained with nothing below it: CKAN reports the error
        # else: hardening of an action whose plugin is not loaded (e.g. activity_show without
        # ``activity``): there is nothing to harden, and the core plugin must load without it
    return result


def plugin_auth_functions() -> dict[str, Any]:
    from ckanext.daknong.logic import auth

    return auth_functions({name: getattr(auth, name) for name in auth.__all__})


# --- actions -----------------------------------------------------------------------------------


def _own_actions() -> dict[str, Any]:
    from ckanext.daknong.logic import action

    return {name: getattr(action, name) for name in action.__all__}


def _gate_action(name: str, context: dict[str, Any], without_auth: bool) -> None:
    if context.get("ignore_auth"):
        return
    if without_auth:
        # No plugin gave this action an auth function: ours is the gate alone, and calling it
        # through check_access also satisfies CKAN's auth audit.
        tk.check_access(name, context, {})
        return
    message = action_refusal(name, _context_user(context))
    if message:
        raise tk.NotAuthorized(message)
    # The gate is this call's access check: record it as check_access does, for CKAN's auth
    # audit (some upstream actions, e.g. harvest_source_show, never call check_access).
    audit = context.get("__auth_audit")
    if audit and audit[-1][0] == name:
        audit.pop()


def _gated_action(
    name: str,
    own: Any | None,
    side_effect_free: bool,
    without_auth: bool,
    chained: bool,
    audit_exempt: bool = False,
) -> Any:
    if chained:

        def action(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
            _gate_action(name, context, without_auth)
            if own is not None:
                return own(next_action, context, data_dict)
            return next_action(context, data_dict)

        action.chained_action = True  # type: ignore[attr-defined]
    else:

        def action(context: dict[str, Any], data_dict: dict[str, Any]):  # type: ignore[misc]
            _gate_action(name, context, without_auth)
            return own(context, data_dict)  # type: ignore[misc]

    action.__name__ = name
    action.__doc__ = (own.__doc__ if own is not None else None) or (
        f"Policy gate of {name} (data/action_policy.yaml)."
    )
    if side_effect_free:
        action.side_effect_free = True  # type: ignore[attr-defined]
    if audit_exempt:
        # CKAN exempts extensions' actions from its auth audit; the gate in front keeps that
        action.auth_audit_exempt = True  # type: ignore[attr-defined]
    return action


def actions(own: dict[str, Any]) -> dict[str, Any]:
    """The core plugin's actions: ``own`` (logic/action.py), and gated actions chained in front.

    Open policies keep the action as it is (the auth function gates ``check_access``); gated
    policies, and registered actions the table does not name, get the gate in front.
    """
    upstream = _upstream_actions()
    upstream_auth = set(_upstream_auth_functions()) | _own_auth_names()
    result = dict(own)
    for name in sorted(set(upstream) | set(own)):
        if policy_of(name) in OPEN_POLICIES:
            continue
        mine = own.get(name)
        below = upstream.get(name, [])
        side_effect_free = _side_effect_free(name, below + ([mine] if mine is not None else []))
        without_auth = name not in upstream_auth
        if mine is not None and not _is_chained_action(mine):
            result[name] = _gated_action(name, mine, side_effect_free, without_auth, False)
        elif any(not _is_chained_action(f) for f in below):
            from_extension = any(
                not getattr(f, "__module__", "").startswith("ckan.") for f in below
            )
            result[name] = _gated_action(
                name, mine, side_effect_free, without_auth, True, from_extension
            )
    return result


def _own_auth_names() -> set[str]:
    from ckanext.daknong.logic import auth

    return set(auth.__all__)


def plugin_actions() -> dict[str, Any]:
    return actions(_own_actions())


# --- web requests ------------------------------------------------------------------------------


def _api_refusal(message: str) -> Any:
    import flask

    body = {
        "help": flask.request.url,
        "success": False,
        "error": {"__type": "Authorization Error", "message": message},
    }
    return flask.make_response(flask.jsonify(body), 403)


def gate_request() -> Any:
    """``before_request``: the route's policy, or for the action API the action's policy."""
    import flask

    endpoint = flask.request.endpoint
    if endpoint is None:
        return None  # no such route: Flask answers 404
    user = tk.current_user if isinstance(tk.current_user, model.User) else None
    if user is not None and user.is_deleted():
        user = None
    if route_policy_of(endpoint) == ACTION:
        name = (flask.request.view_args or {}).get("logic_function") or ""
        try:
            tk.get_action(name)
        except KeyError:
            return None  # CKAN answers that the action does not exist
        message = action_refusal(name, user)
        return _api_refusal(message) if message else None
    message = refusal(route_policy_of(endpoint), user)
    if not message:
        return None
    if endpoint.startswith("api."):
        return _api_refusal(message)
    if user is None and route_policy_of(endpoint) != DISABLED and flask.request.method == "GET":
        # a page behind a gate: anonymous visitors are sent to log in, and come back after
        return tk.redirect_to("user.login", came_from=flask.request.full_path)
    return tk.abort(403, message)


def register_request_gate(app: Any) -> Any:
    """IMiddleware: add the gate after CKAN's own ``before_request`` (which identifies the user)."""
    if not hasattr(app, "before_request"):
        raise RuntimeError("daknong must come before plugins that wrap the Flask app")
    app.before_request(gate_request)
    return app
