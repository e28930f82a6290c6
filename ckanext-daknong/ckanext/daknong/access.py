"""Access levels of QĐ 43 Art. 10–11: the one place that decides who may see what.

``open`` is open data (NĐ 47 Art. 17): everyone, no login. ``shared`` is shared by default:
every user of at least one agency. ``restricted`` is shared on special request
(NĐ 47 Art. 35–38): the owner agency, dataset collaborators and agencies holding an active
grant. CKAN turns these rules into permission labels, indexed with each dataset in Solr and
checked by package_search, package_show auth and everything built on them (resource pages,
downloads, activity streams, DCAT per-dataset documents).

Who belongs to which agency, and in which role, is ``membership``'s answer.

Dataset labels never change when a grant starts or ends: grants are the user's side of the
match, read from the grant table at each request, so a grant takes effect at once and stops at
its end without a reindex.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.daknong import membership
from ckanext.daknong.model.access import AccessGrant

OPEN = "open"
SHARED = "shared"
RESTRICTED = "restricted"
ACCESS_LEVELS = (OPEN, SHARED, RESTRICTED)
DEFAULT_ACCESS_LEVEL = SHARED

# Dataset types whose entries are public metadata whatever their fields say (QĐ 43 Art. 9.2:
# the database catalogue is published).
PUBLIC_METADATA_TYPES = frozenset({"database"})

# Harvest sources are datasets whose `config` names remote endpoints and options: they are
# for sysadmins only (sysadmins pass every check; no user carries this label).
SYSADMIN_ONLY_TYPES = frozenset({"harvest"})
SYSADMIN_ONLY_LABEL = "sysadmin-only"

PUBLIC_LABEL = "public"
AGENCY_USER_LABEL = "agency-user"


def grant_label(dataset_id: str) -> str:
    return f"grant-{dataset_id}"


def private_for(access_level: str | None) -> bool:
    """CKAN's ``private`` flag for an access level: only open data is public.

    Several CKAN paths read the raw ``private`` column (package_list, the DCAT catalogue),
    so anything but open data must stay private there.
    """
    return normalise(access_level) != OPEN


def normalise(access_level: str | None) -> str:
    """An unknown or missing level counts as the schema default, never as open."""
    return access_level if access_level in ACCESS_LEVELS else DEFAULT_ACCESS_LEVEL


def access_level_of(dataset: model.Package) -> str:
    return normalise(dataset.extras.get("access_level"))


def dataset_labels(dataset: model.Package) -> list[str]:
    """Labels a dataset carries in the search index and for package_show auth."""
    if dataset.type in SYSADMIN_ONLY_TYPES:
        return [SYSADMIN_ONLY_LABEL]
    if dataset.state == model.State.ACTIVE and (
        dataset.type in PUBLIC_METADATA_TYPES or access_level_of(dataset) == OPEN
    ):
        return [PUBLIC_LABEL]
    labels = [f"collaborator-{dataset.id}"]
    if dataset.owner_org:
        labels.append(f"member-{dataset.owner_org}")
    else:
        labels.append(f"creator-{dataset.creator_user_id}")
    if dataset.state != model.State.ACTIVE:
        return labels  # drafts and deleted datasets: the owner agency only
    level = access_level_of(dataset)
    if level == SHARED:
        labels.append(AGENCY_USER_LABEL)
    elif level == RESTRICTED:
        labels.append(grant_label(dataset.id))
    return labels


def active_grant_dataset_ids(org_ids: list[str], at: dt.datetime | None = None) -> set[str]:
    """Datasets any of these agencies may read now through a grant (the user's side of labels).

    Read here, below the request workflow in ``grants``, so that labels need nothing above
    ``access``.
    """
    if not org_ids:
        return set()
    moment = at or dt.datetime.now(dt.timezone.utc)
    rows = model.Session.query(AccessGrant.dataset_id).filter(
        AccessGrant.org_id.in_(org_ids),
        AccessGrant.valid_from <= moment,
        AccessGrant.valid_until > moment,
        AccessGrant.revoked_at.is_(None),
    )
    return {row.dataset_id for row in rows}


def user_labels(user: model.User | None) -> list[str]:
    """Labels a user may read; matched against dataset labels."""
    labels = [PUBLIC_LABEL]
    if not user or user.is_anonymous:
        return labels
    org_ids = membership.organization_ids(user)
    labels.append(f"creator-{user.id}")
    labels.extend(f"member-{org_id}" for org_id in org_ids)
    labels.extend(
        f"collaborator-{row.package_id}"
        for row in model.Session.query(model.PackageMember.package_id).filter(
            model.PackageMember.user_id == user.id
        )
    )
    if org_ids:
        labels.append(AGENCY_USER_LABEL)
        labels.extend(grant_label(d) for d in active_grant_dataset_ids(org_ids))
    return labels


class AccessLabels(DefaultPermissionLabels):
    """The portal's only IPermissionLabels implementation."""

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        return user_labels(user_obj)


def can_read(user_name: str | None, dataset_id: str) -> bool:
    """Whether a user may read a dataset, by the same rule as package_show."""
    try:
        tk.check_access("package_show", {"user": user_name or ""}, {"id": dataset_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


# Ids per Solr query: well below Solr's default limit of 1024 boolean clauses.
_IDS_PER_QUERY = 500


def readable_dataset_ids(user: model.User | None, dataset_ids: Any) -> set[str]:
    """Which of these datasets the user may read, by the permission labels (as package_show).

    One search-index query per 500 ids, not one check per dataset; active and draft
    datasets only (a draft carries only its owner agency's labels). Asked of the index
    directly, not through package_search, so that filtering a listing is not itself
    recorded as a search in the sharing log.
    """
    from ckan.lib import search as search_index

    ids = [str(i) for i in dict.fromkeys(dataset_ids) if i and '"' not in str(i)]
    if not ids:
        return set()
    labels = None if getattr(user, "sysadmin", False) else user_labels(user)
    readable: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        query = search_index.query_for(model.Package)
        query.run(
            {
                "q": "*:*",
                "fq": "+state:(active OR draft) +id:({})".format(
                    " OR ".join(f'"{i}"' for i in chunk)
                ),
                "fl": "id",
                "rows": len(chunk),
                "facet": "false",
            },
            permission_labels=labels,
        )
        readable.update(str(i) for i in query.results)
    return readable


def user_object(context: dict[str, Any]) -> model.User | None:
    user = context.get("auth_user_obj")
    if user is None and context.get("user"):
        user = model.User.get(context["user"])
    return user
