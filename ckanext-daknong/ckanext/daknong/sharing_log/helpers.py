"""Template helpers of the sharing-log plugin."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.daknong.sharing_log import listing

__all__ = ["daknong_sharing_log_readable"]


def daknong_sharing_log_readable() -> bool:
    """Whether the current user may read some part of the sharing log (shows the link)."""
    try:
        listing.scope_for(tk.current_user if tk.current_user.is_authenticated else None)
    except tk.NotAuthorized:
        return False
    return True
