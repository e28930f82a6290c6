"""Access levels of QĐ 43 Art. 10–11: the one place that decides who may see what.

``open`` is open data (NĐ 47 Art. 17), ``shared`` is shared by default with every agency,
``restricted`` is shared on special request (NĐ 47 Art. 35–38).
"""

from __future__ import annotations

OPEN = "open"
SHARED = "shared"
RESTRICTED = "restricted"
ACCESS_LEVELS = (OPEN, SHARED, RESTRICTED)
DEFAULT_ACCESS_LEVEL = SHARED


def private_for(access_level: str | None) -> bool:
    """CKAN's ``private`` flag for an access level: only open data is public.

    Several CKAN paths read the raw ``private`` column (package_list, the DCAT catalogue),
    so anything but open data must stay private there.
    """
    return (access_level or DEFAULT_ACCESS_LEVEL) != OPEN
