"""Reading the sharing log through the API (NĐ 47 Art. 45; QĐ 43 Art. 7.4; issue #5 item 5).

``daknong_sharing_log_list``: the providing agency reads the entries about its data, the
requesting agency its own requests, the provincial data administrator and sysadmins everything;
nobody else. ``daknong_open_read_count_list``: open-data read counts, for the data administrator
and the owning agency only. Entries come from real HTTP reads, or from
``entries.append`` where a test needs a given time, channel or status.

The log is append-only, so entries of earlier tests stay: every test scopes its checks to the
entries it wrote (new ids) or to its own agencies. Building the agencies, readers and reads costs
seconds, so tests that only read share one build (see ``Stage``); a test that writes asks for
``fresh_world`` and gets agencies of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action

from ckanext.daknong.sharing_log import entries, listing
from ckanext.daknong.tests.factories import Agency, agency_member
from ckanext.daknong.tests.sharing_log import conftest as log_fixtures

pytestmark = pytest.mark.usefixtures("with_plugins")

API = "/api/3/action/daknong_sharing_log_list"
COUNTS_API = "/api/3/action/daknong_open_read_count_list"
DATA_ADMIN_NAME = "quan-tri-du-lieu-tinh"
OFFICE_NAME = "so-khcn-nhat-ky"
UTC = dt.timezone.utc


# --- shared set-up (test_views.py builds its fixtures from these too) ---------------------------


def add_readers(world: Any, ckan_config: Any, monkeypatch: Any) -> Any:
    """More parties beside the world's: editors, a second provider, an unrelated agency and
    the provincial data administrator, both by name and as admin of its organisation."""
    other = Agency(name="so-cung-cap-khac", title="Sở cung cấp khác", agency_code="H16.35")
    unrelated = Agency(name="so-khong-lien-quan", title="Sở không liên quan", agency_code="H16.40")
    office = Agency(name=OFFICE_NAME, title="Sở Khoa học và Công nghệ", agency_code="H16.12")
    sysadmin = world.users["sysadmin"]["name"]
    world.datasets["other_shared"] = call_action(
        "package_create",
        context={"user": sysadmin},
        name="nhat-ky-khac-shared",
        title="Dữ liệu shared khác",
        owner_org=other["id"],
        access_level="shared",
        license_id="other-closed",
    )
    named_admin = factories.UserWithToken(name=DATA_ADMIN_NAME)
    world.users.update(
        {
            "provider_editor": agency_member(world.provider, "editor"),
            "consumer_editor": agency_member(world.consumer, "editor"),
            "other_admin": agency_member(other, "admin"),
            "unrelated_admin": agency_member(unrelated, "admin"),
            "data_admin": named_admin,
            "data_admin_org_admin": agency_member(office, "admin"),
            "data_admin_org_member": agency_member(office, "member"),
        }
    )
    monkeypatch.setitem(ckan_config, "ckanext.daknong.data_administrators", [DATA_ADMIN_NAME])
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.data_administrator_organization", office["name"]
    )
    world.other = other
    world.unrelated = unrelated
    return world


def make_reads(app: Any, world: Any, new_entries: Callable[[], list[dict[str, Any]]]) -> dict:
    """Real reads, each through the app; returns the entry each wrote, by label."""

    def one(label: str, **expected: Any) -> None:
        rows = [r for r in new_entries() if r["id"] not in {e["id"] for e in found.values()}]
        assert len(rows) == 1, (label, rows)
        assert all(rows[0][k] == v for k, v in expected.items()), (label, rows[0])
        found[label] = rows[0]

    found: dict[str, dict[str, Any]] = {}
    consumer = world.headers("consumer_member")
    app.get(
        "/api/3/action/package_show",
        query_string={"id": world.datasets["restricted"]["id"]},
        headers=consumer,
        status=200,
    )
    one("granted_read", event="read", requester_org_id=world.consumer["id"])
    app.get(
        "/api/3/action/package_search",
        query_string={"q": "nhat-ky", "include_private": "true"},
        headers=consumer,
        status=200,
    )
    one("search", event="search")
    assert world.datasets["other_shared"]["id"] in found["search"]["dataset_ids"]
    app.get(
        "/api/3/action/package_show",
        query_string={"id": world.datasets["restricted"]["id"]},
        headers=world.headers("outsider"),
        status=404,  # a refused read answers like a missing one; the log records the refusal
    )
    one("outsider_denied", status="denied", requester_org_id=None)
    app.get(
        f"/dataset/{world.datasets['shared']['name']}", headers=world.headers("provider_member")
    )
    one("own_read", channel="web", requester_org_id=world.provider["id"])
    app.get(
        "/api/3/action/package_show",
        query_string={"id": world.datasets["other_shared"]["id"]},
        headers=consumer,
        status=200,
    )
    one("other_read", provider_org_ids=[world.other["id"]])
    return found


def draft(world: Any, at: dt.datetime | None = None, **fields: Any) -> entries.Draft:
    """An entry of the consumer reading the provider's shared dataset, unless told otherwise."""
    values: dict[str, Any] = {
        "event": entries.READ,
        "channel": entries.API,
        "status": entries.SERVED,
        "action": "package_show",
        "request_content": {"method": "GET", "path": "/api/3/action/package_show"},
        "user_name": world.users["consumer_member"]["name"],
        "requester_org_id": world.consumer["id"],
        "requester_agency_code": "H16.77",
        "provider_org_ids": [world.provider["id"]],
        "provider_agency_codes": ["H16.21"],
        "dataset_ids": [world.datasets["shared"]["id"]],
        "occurred_at": at,
    }
    values.update(fields)
    return entries.Draft(**values)


def entries_since_now() -> Callable[[], list[dict[str, Any]]]:
    """``new_entries`` outside a test: the entries written from now on, oldest first."""
    return log_fixtures.new_entries.__wrapped__()


class Stage:
    """One database state of a module at a time, shared by the tests that only read it.

    A state is a clean database (``clean_db`` and ``clean_index``) with the conftest's world,
    ``add_readers`` and the parts a test asks for by fixture name (``reads``, ``dated``,
    ``counted``; ``groups`` names parts built together). Tests asking for the same parts share
    one build; a test using none of them reads whatever state is there (it checks no entry).
    A test that writes uses ``fresh_world``: it gets a state built for it alone, which no later
    test shares. Resets leave the log (its own schema): entries of earlier states stay, under
    agency ids that no longer exist, and the tests scope their checks to their own ids.
    """

    MIGRATIONS = ("activity", "harvest", "daknong", "daknong_harvest")  # as conftest clean_db
    PARTS = ("reads", "dated", "counted")
    FRESH = object()

    def __init__(
        self,
        reset_db: Any,
        reset_index: Any,
        migrate_db_for: Any,
        builders: dict[str, Callable[[Any, Any], Any]],
        groups: tuple[set[str], ...] = (),
    ):
        import ckan.plugins as plugins
        from ckan.lib.app_globals import _CONFIG_CACHE

        self._reset_db, self._reset_index, self._migrate = reset_db, reset_index, migrate_db_for
        self.builders = builders
        self.groups = [frozenset(names) for names in groups]
        self.monkeypatch = pytest.MonkeyPatch()
        self.monkeypatch.setitem(config, "testing", True)  # as _get_test_app does, undone after
        plugins.load_all()
        _CONFIG_CACHE.clear()
        self.app = _get_test_app()
        self.kind: Any = None
        self.world: Any = None
        self.parts: dict[str, Any] = {}

    def close(self) -> None:
        import ckan.plugins as plugins

        self.monkeypatch.undo()
        plugins.unload_non_system_plugins()

    def enter(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
        """The state this test asks for; ``add_readers``' config set for the test.

        CKAN's pytest plugin restores the config before every test (ckan_setup.py), so the
        data administrator's settings are set again for each test, not once for the module.
        """
        monkeypatch.setitem(config, "ckanext.daknong.data_administrators", [DATA_ADMIN_NAME])
        monkeypatch.setitem(config, "ckanext.daknong.data_administrator_organization", OFFICE_NAME)
        wanted = {name for name in self.PARTS if name in request.fixturenames}
        kind = frozenset().union(*(self.group(name) for name in wanted))
        fresh = "fresh_world" in request.fixturenames
        if fresh or self.world is None or (wanted and kind != self.kind):
            self._build(kind, monkeypatch)
            if fresh:
                self.kind = self.FRESH
        return self.world

    def group(self, name: str) -> frozenset[str]:
        return next((names for names in self.groups if name in names), frozenset({name}))

    def _build(self, kind: frozenset[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.kind, self.world, self.parts = None, None, {}
        self._reset_db()
        for plugin in self.MIGRATIONS:
            self._migrate(plugin)
        self._reset_index()
        world = add_readers(log_fixtures.world.__wrapped__(), config, monkeypatch)
        for name in self.PARTS:
            if name in kind:
                self.parts[name] = self.builders[name](self.app, world)
        self.kind, self.world = kind, world


# --- fixtures ---------------------------------------------------------------------------------


def make_dated(world: Any) -> list[int]:
    """Entries of the world's agencies at chosen times, channels, statuses and events."""
    at = dt.datetime(2026, 3, 14, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 14 March, Vietnam
    rows = entries.append(
        [
            draft(world, at, channel=entries.WEB),
            draft(world, at + dt.timedelta(seconds=1)),  # 00:00:00 on 15 March, Vietnam
            draft(world, at + dt.timedelta(days=2), status=entries.DENIED, user_name=None),
            draft(
                world,
                at + dt.timedelta(days=3),
                event="request_submitted",
                channel=entries.WEB,
                dataset_ids=[world.datasets["restricted"]["id"]],
            ),
            draft(
                world,
                at + dt.timedelta(days=4),
                channel=entries.DOWNLOAD,
                requester_org_id=world.unrelated["id"],
                requester_agency_code="H16.40",
                provider_org_ids=[world.other["id"]],
                provider_agency_codes=["H16.35"],
                dataset_ids=[world.datasets["other_shared"]["id"]],
            ),
        ]
    )
    return [row["id"] for row in rows]


def make_counted(app: Any, world: Any) -> str:
    """Three anonymous reads of the provider's open dataset: counted, not logged."""
    for _ in range(3):
        app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["open"]["id"]},
            status=200,
        )
    return world.datasets["open"]["id"]


@pytest.fixture(scope="module")
def stage(reset_db, reset_index, migrate_db_for):
    """Real reads would count the open dataset (a search hits it) and would show in the
    filters' exact counts; dated entries would show to the unrelated agency: reads get a state
    of their own, dated entries and open-read counts share one."""
    builders = {
        "reads": lambda app, world: make_reads(app, world, entries_since_now()),
        "dated": lambda app, world: make_dated(world),
        "counted": make_counted,
    }
    shared = Stage(reset_db, reset_index, migrate_db_for, builders, groups=({"dated", "counted"},))
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def app(stage):
    """One test client for the module (built once, with the plugins loaded)."""
    return stage.app


@pytest.fixture
def fresh_world():
    """Asked for by a test that writes: its world is built for it alone (see ``Stage``)."""


@pytest.fixture
def readers(request, stage, with_plugins, monkeypatch):
    return stage.enter(request, monkeypatch)


@pytest.fixture
def reads(readers, stage):
    return stage.parts["reads"]


def _list(app: Any, world: Any, role: str | None, expect: int = 200, **params: Any) -> Any:
    headers = world.headers(role) if role else {}
    response = app.get(API, query_string=params, headers=headers, status=expect)
    return response.json["result"] if expect == 200 else response.json


def _ids(result: dict[str, Any]) -> list[int]:
    return [entry["id"] for entry in result["results"]]


def _visible(app: Any, world: Any, role: str, reads: dict[str, Any]) -> set[str]:
    """Which of this test's entries the role reads (other tests' entries are left aside)."""
    ids = set(_ids(_list(app, world, role, limit=1000)))
    return {label for label, entry in reads.items() if entry["id"] in ids}


ALL = {"granted_read", "search", "outsider_denied", "own_read", "other_read"}


# --- who reads what ---------------------------------------------------------------------------


class TestScope:
    @pytest.mark.parametrize("role", ["provider_admin", "provider_editor"])
    def test_providing_agency_reads_the_log_of_its_own_data(self, app, readers, reads, role):
        """NĐ 47 Art. 45: the providing agency keeps the history of who read its data, other
        agencies' reads and refused attempts included; not reads of another agency's data."""
        visible = _visible(app, readers, role, reads)

        assert visible == {"granted_read", "search", "outsider_denied", "own_read"}

    @pytest.mark.parametrize("role", ["consumer_admin", "consumer_editor"])
    def test_requesting_agency_reads_its_own_requests(self, app, readers, reads, role):
        """NĐ 47 Art. 45: the requesting agency sees what it asked for, from every provider,
        and nothing of others' requests about the same data."""
        visible = _visible(app, readers, role, reads)

        assert visible == {"granted_read", "search", "other_read"}

    @pytest.mark.parametrize("role", ["sysadmin", "data_admin", "data_admin_org_admin"])
    def test_data_administrator_and_sysadmins_read_everything(self, app, readers, reads, role):
        """NĐ 47 Art. 45 / QĐ 43 Art. 16: the provincial data administrator (configured by name,
        or admin of its organisation) and sysadmins read every entry, untrimmed."""
        result = _list(app, readers, role, limit=1000)
        by_id = {entry["id"]: entry for entry in result["results"]}

        assert {label for label, e in reads.items() if e["id"] in by_id} == ALL
        assert set(by_id[reads["search"]["id"]]["dataset_ids"]) == set(
            reads["search"]["dataset_ids"]
        )
        assert result["count"] >= len(ALL)

    def test_admin_of_an_unrelated_agency_reads_none_of_the_others_entries(
        self, app, readers, reads
    ):
        """NĐ 47 Art. 45: an agency that neither provided nor asked sees nothing of it."""
        result = _list(app, readers, "unrelated_admin", limit=1000)

        assert result["count"] == 0
        assert result["results"] == []

    def test_other_provider_reads_only_its_own_part(self, app, readers, reads):
        """NĐ 47 Art. 45: the second provider sees its read and the search that hit its data."""
        assert _visible(app, readers, "other_admin", reads) == {"search", "other_read"}

    @pytest.mark.parametrize(
        "role",
        ["provider_member", "consumer_member", "data_admin_org_member", "outsider", None],
    )
    def test_everyone_else_gets_403_and_no_entry(self, app, readers, reads, role):
        """NĐ 47 Art. 45 (issue #5): plain members, users without an agency and anonymous
        users cannot read the log; the refusal carries no entry."""
        response = app.get(API, headers=readers.headers(role) if role else {}, status=403)
        body = response.get_data(as_text=True)

        assert response.json["success"] is False
        assert "result" not in response.json
        assert readers.users["consumer_member"]["name"] not in body
        assert readers.datasets["restricted"]["id"] not in body

    def test_the_action_refuses_a_caller_without_a_user(self, readers):
        """NĐ 47 Art. 45: called from code with no user in the context, the action refuses."""
        import ckan.plugins.toolkit as tk

        with pytest.raises(tk.NotAuthorized):
            call_action("daknong_sharing_log_list", context={"user": ""})


class TestSearchEntries:
    def test_provider_sees_only_its_own_datasets_in_a_search_entry(self, app, readers, reads):
        """NĐ 47 Art. 45: a search listing several agencies' data is, for each provider, a read
        of its own datasets only; another agency's hits and code stay hidden."""
        search = reads["search"]
        own = {readers.datasets["shared"]["id"], readers.datasets["restricted"]["id"]}
        assert own | {readers.datasets["other_shared"]["id"]} == set(search["dataset_ids"])

        mine = _list(app, readers, "provider_admin", event="search", agency=readers.provider["id"])
        (entry,) = [e for e in mine["results"] if e["id"] == search["id"]]

        assert set(entry["dataset_ids"]) == own
        assert entry["provider_org_ids"] == [readers.provider["id"]]
        assert entry["provider_agency_codes"] == ["H16.21"]

        theirs = _list(app, readers, "other_admin", event="search")
        (entry,) = [e for e in theirs["results"] if e["id"] == search["id"]]

        assert entry["dataset_ids"] == [readers.datasets["other_shared"]["id"]]
        assert entry["provider_agency_codes"] == ["H16.35"]

    def test_the_requester_sees_its_whole_search(self, app, readers, reads):
        """NĐ 47 Art. 45: the agency that searched sees every hit it was served."""
        result = _list(app, readers, "consumer_admin", event="search")
        (entry,) = [e for e in result["results"] if e["id"] == reads["search"]["id"]]

        assert set(entry["dataset_ids"]) == set(reads["search"]["dataset_ids"])
        assert set(entry["provider_agency_codes"]) == {"H16.21", "H16.35"}


class TestEntryContent:
    def test_an_entry_carries_the_art_45_2_fields_in_vietnam_time(self, app, readers, reads):
        """NĐ 47 Art. 45.2: time (UTC stored, Vietnam time shown), parties, data, request
        content, result, hash of what was served, grant and purpose."""
        result = _list(app, readers, "provider_admin", agency="H16.77", event="read")
        (entry,) = [e for e in result["results"] if e["id"] == reads["granted_read"]["id"]]
        stored = reads["granted_read"]["occurred_at"]

        assert entry["occurred_at_local"].endswith("+07:00")
        assert dt.datetime.fromisoformat(entry["occurred_at_local"]) == stored
        assert entry["occurred_at"].endswith("Z")
        assert entry["user_name"] == readers.users["consumer_member"]["name"]
        assert entry["requester_agency_code"] == "H16.77"
        assert entry["provider_agency_codes"] == ["H16.21"]
        assert entry["dataset_ids"] == [readers.datasets["restricted"]["id"]]
        assert entry["request_content"]["params"] == {"id": readers.datasets["restricted"]["id"]}
        assert entry["status"] == "served"
        assert entry["content_sha256"] == reads["granted_read"]["content_sha256"]
        assert entry["grant_id"] and entry["access_request_id"]
        assert entry["purpose"] == "Đối soát hồ sơ đất đai"
        assert entry["hash"] == reads["granted_read"]["hash"]


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def dated(readers, stage):
    """Entries of this state's agencies at chosen times, channels, statuses and events."""
    return stage.parts["dated"]


def _filtered(app: Any, world: Any, dated: list[int], **params: Any) -> list[int]:
    """Which of this test's entries the data administrator reads with these filters."""
    result = _list(app, world, "data_admin", limit=1000, **params)
    return [i for i in _ids(result) if i in dated]


class TestFilters:
    @pytest.mark.parametrize(
        ("date_from", "date_to", "expected"),
        [
            ("2026-03-14", "2026-03-14", [0]),
            ("2026-03-15", "2026-03-15", [1]),
            ("2026-03-15", "2026-03-17", [3, 2, 1]),
            ("2026-03-15", "2026-03-16", [2, 1]),
            ("2026-03-16", "", [4, 3, 2]),
            ("", "2026-03-14", [0]),
        ],
    )
    def test_period_is_whole_days_in_vietnam_time(
        self, app, readers, dated, date_from, date_to, expected
    ):
        """NĐ 47 Art. 45.2: 16:59:59 UTC is still 14 March in Đắk Nông; one second later it is
        the 15th. Days are Vietnam days, both ends included."""
        ids = _filtered(app, readers, dated, date_from=date_from, date_to=date_to)

        assert ids == [dated[i] for i in expected]

    def test_period_and_agency_together_count_exactly(self, app, readers, dated):
        """NĐ 47 Art. 45: filters combine, and count is the number of matching entries."""
        result = _list(
            app,
            readers,
            "data_admin",
            agency=readers.consumer["id"],
            date_from="2026-03-15",
            date_to="2026-03-31",
        )

        assert result["count"] == 3
        assert _ids(result) == [dated[3], dated[2], dated[1]]

    @pytest.mark.parametrize(
        "reference", ["id", "name", "code", "lower-case code"], ids=lambda r: r.replace(" ", "-")
    )
    def test_agency_by_id_name_or_qd_20_code(self, app, readers, dated, reference):
        """NĐ 47 Art. 45 / QĐ 20: an agency is named by id, name or its QĐ 20 code."""
        value = {
            "id": readers.other["id"],
            "name": readers.other["name"],
            "code": "H16.35",
            "lower-case code": "h16.35",
        }[reference]

        assert _filtered(app, readers, dated, agency=value) == [dated[4]]

    def test_agency_as_provider_or_requester(self, app, readers, dated):
        """NĐ 47 Art. 45: filtering by an agency finds what it provided and what it asked."""
        assert _filtered(app, readers, dated, agency="H16.40") == [dated[4]]  # requester only
        assert _filtered(app, readers, dated, agency="H16.21") == dated[3::-1]  # provider
        assert _filtered(app, readers, dated, agency="H16.77") == dated[3::-1]  # requester

    @pytest.mark.parametrize("key", ["id", "name"])
    def test_dataset_by_id_or_name(self, app, readers, dated, key):
        """NĐ 47 Art. 45: the history of one dataset."""
        ids = _filtered(app, readers, dated, dataset=readers.datasets["restricted"][key])

        assert ids == [dated[3]]

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"channel": "web"}, [3, 0]),
            ({"channel": "download"}, [4]),
            ({"status": "denied"}, [2]),
            ({"status": "served", "channel": "api"}, [1]),
            ({"event": "request_submitted"}, [3]),
            ({"event": "read", "status": "served"}, [4, 1, 0]),
        ],
    )
    def test_channel_status_and_event(self, app, readers, dated, filters, expected):
        """NĐ 47 Art. 45.2: channel (phương thức), result and event narrow the log."""
        assert _filtered(app, readers, dated, **filters) == [dated[i] for i in expected]

    def test_filters_keep_to_the_viewers_scope(self, app, readers, dated):
        """NĐ 47 Art. 45: naming another agency in a filter shows nothing beyond one's scope."""
        result = _list(app, readers, "provider_admin", agency="H16.35", limit=1000)

        assert result["count"] == 0
        assert _list(app, readers, "provider_admin", agency="H16.77")["count"] == 4

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"date_from": "31/01/2026"}, "date_from"),
            ({"date_to": "2026-02-30"}, "date_to"),
            ({"channel": "fax"}, "channel"),
            ({"status": "ok"}, "status"),
            ({"event": "delete"}, "event"),
            ({"agency": "H16.99.99"}, "agency"),
            ({"limit": "many"}, "limit"),
            ({"offset": "-1"}, "offset"),
        ],
    )
    def test_bad_values_are_a_validation_error_naming_the_field(self, app, readers, params, field):
        """NĐ 47 Art. 45 (issue #5): a wrong filter is refused clearly, not read as no filter."""
        response = _list(app, readers, "data_admin", expect=409, **params)

        assert response["success"] is False
        assert response["error"]["__type"] == "Validation Error"
        assert response["error"][field] and all(response["error"][field])

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"date_from": "31/01/2026"}, "Use a date such as 2026-01-31"),
            ({"channel": "fax"}, "Unknown value: fax"),
            ({"event": "delete"}, "Unknown value: delete"),
            ({"agency": "khong-co"}, "Unknown agency"),
            ({"limit": "many"}, "Must be a whole number"),
        ],
    )
    def test_validation_messages_are_gettext_msgids(self, readers, params, message):
        """NĐ 47 Art. 45: the messages are English msgids, translated on Vietnamese pages
        (test_views reads them on /en/ pages)."""
        import ckan.plugins.toolkit as tk

        with pytest.raises(tk.ValidationError) as raised:
            call_action("daknong_sharing_log_list", context={"user": DATA_ADMIN_NAME}, **params)

        assert message in str(raised.value.error_dict)


class TestPaging:
    @pytest.mark.usefixtures("fresh_world")
    def test_newest_first_with_limit_offset_and_count(self, app, readers):
        """NĐ 47 Art. 45: the log pages from the newest entry; count is the whole match."""
        rows = entries.append([draft(readers, purpose=f"Lần {n}") for n in range(5)])
        newest_first = [row["id"] for row in reversed(rows)]
        scope = {"agency": readers.consumer["id"]}

        first = _list(app, readers, "consumer_admin", limit=2, **scope)
        second = _list(app, readers, "consumer_admin", limit=2, offset=2, **scope)
        last = _list(app, readers, "consumer_admin", limit=2, offset=4, **scope)

        assert first["count"] == second["count"] == last["count"] == 5
        assert _ids(first) + _ids(second) + _ids(last) == newest_first
        assert [e["purpose"] for e in first["results"]] == ["Lần 4", "Lần 3"]
        assert (first["limit"], second["offset"]) == (2, 2)

    @pytest.mark.usefixtures("fresh_world")
    def test_real_reads_come_newest_first(self, app, readers, reads):
        """NĐ 47 Art. 45: entries in the order the reads happened, newest first."""
        ids = [
            i
            for i in _ids(_list(app, readers, "data_admin", limit=1000))
            if i >= min(e["id"] for e in reads.values())
        ]

        assert ids == sorted((e["id"] for e in reads.values()), reverse=True)

    def test_default_and_largest_page(self, app, readers):
        """NĐ 47 Art. 45: 50 entries a page unless asked, never more than 1000."""
        assert _list(app, readers, "data_admin")["limit"] == listing.DEFAULT_LIMIT
        assert _list(app, readers, "data_admin", limit=10**6)["limit"] == listing.MAX_LIMIT


# --- open-data read counts --------------------------------------------------------------------


@pytest.fixture
def counted(readers, stage):
    """Three anonymous reads of the provider's open dataset: counted, not logged."""
    return stage.parts["counted"]


def _counts(app: Any, world: Any, role: str | None, expect: int = 200, **params: Any) -> Any:
    headers = world.headers(role) if role else {}
    response = app.get(COUNTS_API, query_string=params, headers=headers, status=expect)
    return response.json["result"] if expect == 200 else response.json


class TestOpenReadCounts:
    @pytest.mark.parametrize("role", ["data_admin", "data_admin_org_admin", "sysadmin"])
    def test_the_data_administrator_reads_every_count(self, app, readers, counted, role):
        """NĐ 47 Art. 17/45: open data needs no identity; its reads are counted per day and
        dataset, and the data administrator reads the counts of every agency."""
        rows = [r for r in _counts(app, readers, role) if r["dataset_id"] == counted]
        today = dt.datetime.now(listing.LOCAL_TZ).date().isoformat()

        assert rows == [{"day": today, "dataset_id": counted, "channel": "api", "reads": 3}]

    @pytest.mark.usefixtures("fresh_world")
    @pytest.mark.parametrize("role", ["provider_admin", "provider_editor"])
    def test_the_owning_agency_reads_its_own_counts_only(self, app, readers, counted, role):
        """NĐ 47 Art. 45: an agency reads the counts of its own open data, no one else's."""
        other_open = call_action(
            "package_create",
            context={"user": readers.users["sysadmin"]["name"]},
            name="nhat-ky-khac-open",
            notes="Dữ liệu mở.",
            owner_org=readers.other["id"],
            access_level="open",
            license_id="cc-by",
        )
        app.get("/api/3/action/package_show", query_string={"id": other_open["id"]}, status=200)

        rows = _counts(app, readers, role)

        assert [r["reads"] for r in rows if r["dataset_id"] == counted] == [3]
        provider_ids = {d["id"] for d in readers.datasets.values()} - {other_open["id"]}
        assert {r["dataset_id"] for r in rows} <= provider_ids
        assert other_open["id"] in {r["dataset_id"] for r in _counts(app, readers, "data_admin")}

    def test_other_agencies_read_no_count_of_it(self, app, readers, counted):
        """NĐ 47 Art. 45: an agency that does not own the data reads none of its counts."""
        for role in ("consumer_admin", "unrelated_admin"):
            assert [r for r in _counts(app, readers, role) if r["dataset_id"] == counted] == []

    @pytest.mark.parametrize("role", ["provider_member", "outsider", None])
    def test_everyone_else_gets_403(self, app, readers, counted, role):
        """NĐ 47 Art. 45: plain members, users without agency and anonymous users: 403."""
        response = _counts(app, readers, role, expect=403)

        assert response["success"] is False
        assert counted not in str(response)

    def test_filters_and_bad_dates(self, app, readers, counted):
        """NĐ 47 Art. 45: counts by dataset (name or id) and period; a bad date is refused."""
        today = dt.datetime.now(listing.LOCAL_TZ).date()
        yesterday = (today - dt.timedelta(days=1)).isoformat()
        by_name = _counts(app, readers, "data_admin", dataset=readers.datasets["open"]["name"])

        assert [r["dataset_id"] for r in by_name] == [counted]
        assert _counts(app, readers, "data_admin", dataset=counted, date_to=yesterday) == []
        assert _counts(app, readers, "data_admin", dataset=counted, date_from=today.isoformat())
        error = _counts(app, readers, "data_admin", expect=409, date_from="hôm qua")
        assert error["error"]["date_from"]
