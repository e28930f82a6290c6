"""One search-index update per harvested dataset, sent after the dataset is committed.

CKAN indexes a dataset from its ORM commit hook (the ``synchronous_search`` system plugin):
``package_create`` of a dataset with resources or tags sends it to Solr twice, once as new
and once as changed through its resources and tags, each time after a full ``package_show``,
and with a Solr commit unless ``ckan.search.solr_commit`` is off. That hook was most of a
first harvest's time (issue 11, section 3). During an import the engine opens
:func:`deferred`: the hook skips the datasets written inside it and names them instead, and
the engine indexes each of them once with :func:`index`, after the import's single database
commit. Deletions are never deferred, and nothing outside the scope changes.

An import also reads each dataset twice in full: ckanext-activity's ``package_show`` for the
activity, then the index document's. Inside the scope the dataset's dictization is kept
(:func:`_dictize`) and the second read gets a copy, unless anything that a dataset's dict
is made of was written in between: any flush of another table than the harvest's and
the activity's own bookkeeping forgets every kept copy (:data:`BOOKKEEPING_TABLES`).

CKAN has no switch for this, so :func:`install` wraps the system plugin's ``notify`` once,
at start-up (``DaknongHarvestPlugin.configure``); the wrapper calls straight through unless
the current context is inside :func:`deferred`.

Documents are sent at once (Solr's transaction log keeps them if a process dies) but
committed only every :data:`INDEX_BATCH` datasets and when a job is closed
(``harvest_jobs_run``); the portal's solrconfig makes them searchable within a second
(autoSoftCommit) and durable within 15 s (autoCommit). A dataset committed to PostgreSQL
whose document never reached Solr, or whose update never did (Solr down, the process killed
between the two), is found by :func:`stale` at the source's next harvest and indexed then.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.plugins.toolkit as tk
import pysolr
import sqlalchemy
import sqlalchemy.orm
from ckan import model
from ckan.lib import search
from ckan.lib.dictization import model_dictize
from ckan.lib.search.common import make_connection
from ckan.lib.search.query import solr_literal
from sqlalchemy import event

log = logging.getLogger(__name__)

# Datasets indexed between two explicit Solr commits in one process.
INDEX_BATCH = 500
# Datasets per Solr query when looking for missing or stale documents.
LOOKUP_CHUNK = 400

# Tables whose rows are no part of a dataset's dict: writing them keeps the kept dictizations.
BOOKKEEPING_TABLES = frozenset(
    {
        "activity",
        "activity_detail",
        "harvest_object",
        "harvest_object_error",
        "harvest_object_extra",
        "harvest_gather_error",
        "daknong_harvest_record",
        "daknong_harvest_warning",
    }
)


@dataclasses.dataclass
class _Scope:
    held: set[str] = dataclasses.field(default_factory=set)
    dictized: dict[tuple[str, bool], dict[str, Any]] = dataclasses.field(default_factory=dict)


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "daknong_harvest_deferred_index", default=None
)
_uncommitted = 0


def install() -> None:
    """Let :func:`deferred` hold back CKAN's synchronous indexing; idempotent."""
    plugin_class = search.SynchronousSearchPlugin
    if getattr(plugin_class.notify, "daknong_deferrable", False):
        return
    synchronous_notify = plugin_class.notify

    def notify(self: Any, entity: Any, operation: str) -> None:
        scope = _scope.get()
        if (
            scope is not None
            and isinstance(entity, model.Package)
            and operation != model.DomainObjectOperation.deleted
        ):
            scope.held.add(entity.id)
            return
        synchronous_notify(self, entity, operation)

    notify.daknong_deferrable = True  # type: ignore[attr-defined]
    notify.__doc__ = synchronous_notify.__doc__
    plugin_class.notify = notify
    model_dictize.package_dictize = _dictize(model_dictize.package_dictize)
    event.listen(sqlalchemy.orm.Session, "after_flush", _forget_on_write)


def deferring() -> bool:
    """Whether the current context is inside :func:`deferred` (a harvest import)."""
    return _scope.get() is not None


@contextlib.contextmanager
def deferred() -> Iterator[set[str]]:
    """Inside: datasets committed are not indexed; yields the ids held back."""
    install()
    scope = _Scope()
    token = _scope.set(scope)
    try:
        yield scope.held
    finally:
        _scope.reset(token)


def _dictize(package_dictize: Any) -> Any:
    """``package_dictize`` that, inside :func:`deferred`, reads each dataset once."""

    def dictize(pkg: model.Package, context: Any, include_plugin_data: bool = False) -> Any:
        scope = _scope.get()
        if scope is None or context.get("for_edit"):
            return package_dictize(pkg, context, include_plugin_data)
        # what is still unflushed is written now, and forgets what it changes
        model.Session.flush()
        key = (pkg.id, bool(include_plugin_data))
        if key not in scope.dictized:
            scope.dictized[key] = package_dictize(pkg, context, include_plugin_data)
        return copy.deepcopy(scope.dictized[key])

    dictize.__doc__ = package_dictize.__doc__
    return dictize


def _forget_on_write(session: Any, flush_context: Any) -> None:
    scope = _scope.get()
    if scope is None or not scope.dictized:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if sqlalchemy.inspect(instance).mapper.local_table.name not in BOOKKEEPING_TABLES:
            scope.dictized.clear()
            return


def index(package_ids: Iterable[str]) -> None:
    """Send each dataset to Solr once, without a commit; commit every ``INDEX_BATCH``.

    Raises ``SearchIndexError`` when Solr refuses or cannot be reached.
    """
    global _uncommitted
    package_index = search.index_for(model.Package)
    context = {"ignore_auth": True, "validate": False, "use_cache": False}
    for package_id in package_ids:
        package = model.Package.get(package_id)
        if package is None:
            continue
        model.Session.expire(package)  # what was committed since, by this process or another
        if package.state == model.State.DELETED:
            package_index.remove_dict({"id": package_id})
            continue
        package_index.update_dict(
            tk.get_action("package_show")(dict(context), {"id": package_id}), defer_commit=True
        )
        _uncommitted += 1
    if _uncommitted >= INDEX_BATCH:
        _uncommitted = 0
        package_index.commit()


def stale(package_ids: Iterable[str]) -> list[str]:
    """The given active datasets whose search document is missing or older than the database.

    A document is current when its ``metadata_modified`` matches the dataset's to the
    millisecond (what Solr keeps; CKAN's ``package_show`` cache checks the same): an update or a
    restore that never reached Solr leaves an old document, which counts as stale. Documents
    sent but not yet committed are not visible yet and count as stale too; indexing them again
    is harmless. Raises ``SearchIndexError`` when Solr cannot be asked.
    """
    wanted = list(dict.fromkeys(package_ids))
    if not wanted:
        return []
    modified = {
        package_id: when
        for package_id, when in model.Session.query(
            model.Package.id, model.Package.metadata_modified
        ).filter(model.Package.id.in_(wanted), model.Package.state == model.State.ACTIVE)
    }
    connection = make_connection(decode_dates=False)
    site = solr_literal(tk.config.get("ckan.site_id"))
    indexed: dict[str, dt.datetime] = {}
    active = [package_id for package_id in wanted if package_id in modified]
    for start in range(0, len(active), LOOKUP_CHUNK):
        chunk = active[start : start + LOOKUP_CHUNK]
        try:
            result = connection.search(
                q="*:*",
                # the terms parser takes the ids as they are: no escaping, no clause limit
                fq=[f"+site_id:{site}", "{!terms f=id}" + ",".join(chunk)],
                fl="id,metadata_modified",
                rows=len(chunk),
            )
        except (pysolr.SolrError, OSError) as error:
            raise search.SearchIndexError(f"Solr not reachable: {error}") from error
        for doc in result.docs:
            when = doc.get("metadata_modified")
            if when:
                indexed[doc["id"]] = dt.datetime.fromisoformat(when.rstrip("Z"))
    return [
        package_id
        for package_id in active
        if package_id not in indexed
        or abs(indexed[package_id] - modified[package_id]) >= dt.timedelta(milliseconds=1)
    ]
