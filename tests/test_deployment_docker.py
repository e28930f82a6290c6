"""The production Docker deployment (deployment/docker/) is complete, pinned and secret-free.

No Docker engine runs on the build, CI or review machines, so the compose file, the Dockerfile
and the production ckan.ini template are read and cross-checked here: pinned images, health
checks, named volumes, every referenced file, the template against every
config_declaration.yaml of the package (read at run time, so new options are covered), and no
committed secret. The helper scripts the containers run (scheduler.sh, healthcheck.py,
check_image.py) are executed for real.

Runs without CKAN's pytest plugin: pytest -p no:ckan -o addopts="" <this file>.
"""

from __future__ import annotations

import configparser
import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "deployment" / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"
TEMPLATE = DOCKER / "ckan.ini.template"
ENV_EXAMPLE = DOCKER / ".env.example"
README = DOCKER / "README.md"
SCHEDULER = DOCKER / "scheduler.sh"
HEALTHCHECK = DOCKER / "healthcheck.py"
CHECK_IMAGE = DOCKER / "check_image.py"
PACKAGE = REPO / "ckanext-daknong" / "ckanext" / "daknong"
# setup.py installs these directories of ckanext-daknong/ as ckanext.daknong.<name>.
RESOURCE_PACKAGES = ("schemas", "templates", "data")
# SRC_DIR of the ckan-base image; the Dockerfile copies the repository to its ckanext-daknong.
IMAGE_SRC = "/srv/app/src/ckanext-daknong"

REQUIRED_SERVICES = ("ckan", "harvest-gather", "harvest-fetch", "scheduler", "solr", "db", "redis")
PORTAL_SERVICES = ("ckan", "harvest-gather", "harvest-fetch", "scheduler")
PLUGINS = (
    "activity daknong daknong_sharing_log scheming_datasets scheming_organizations harvest dcat"
).split()
REQUIRED_PLUGINS = (
    "daknong",
    "daknong_sharing_log",
    "scheming_datasets",
    "scheming_organizations",
    "harvest",
    "dcat",
)

# What each service's health check must probe.
HEALTH_PROBES = {
    "ckan": "/api/3/action/status_show",
    "harvest-gather": "process harvester gather-consumer",
    "harvest-fetch": "process harvester fetch-consumer",
    "scheduler": "fresh /tmp/daknong-scheduler.heartbeat",
    "solr": "/solr/ckan/admin/ping",
    "db": "pg_isready",
    "redis": "redis-cli ping",
}
EXPECTED_DEPENDENCIES = {
    "ckan": {"db", "solr", "redis"},
    "harvest-gather": {"ckan", "db", "solr", "redis"},
    "harvest-fetch": {"ckan", "db", "solr", "redis"},
    "scheduler": {"ckan", "db", "solr", "redis"},
}
PERSISTENT_MOUNTS = (
    ("db", "/var/lib/postgresql/data"),
    ("solr", "/var/solr"),
    ("ckan", "/var/lib/ckan"),
)


# Parsing helpers ###############################################################################

# Compose interpolation: $$ is a literal $, ${NAME}, ${NAME:-default}, ${NAME:?error}, ...
_COMPOSE_VAR = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\})"
)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation, lenient: a missing required value becomes empty."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = env.get(name)
        if op in (":-", "-"):
            return arg if (not value if op == ":-" else value is None) else value
        if op in (":+", "+"):
            return arg if (value if op == ":+" else value is not None) else ""
        return value or ""

    return _COMPOSE_VAR.sub(replace, text)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def compose_variables() -> list[tuple[str, str | None, str | None]]:
    """(name, operator, argument) of every ${...} in a compose value ($${...} is escaped)."""
    return [
        m.group("name", "op", "arg")
        for text in _strings(raw_compose())
        for m in _COMPOSE_VAR.finditer(text)
        if m.group("name")
    ]


def _interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    return node


def parse_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values


@cache
def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@cache
def compose() -> dict[str, Any]:
    """The compose model as Compose sees it with .env.example as .env."""
    return _interpolate_tree(raw_compose(), parse_env_file(ENV_EXAMPLE))


def services() -> dict[str, Any]:
    return compose()["services"]


def image_tag(reference: str) -> str | None:
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, source, target) of every volume entry, short or long syntax."""
    found = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            found.append((entry.get("type", "volume"), entry.get("source", ""), entry["target"]))
            continue
        parts = entry.split(":")
        if len(parts) == 1:
            found.append(("volume", "", parts[0]))
            continue
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        found.append((kind, source, target))
    return found


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return tuple(instructions)


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for token in shlex.split(arguments):
                name, _, value = token.partition("=")
                env[name] = value
    return env


def copy_sources() -> list[str]:
    """Build-context paths of every COPY/ADD (copies from another stage excluded)."""
    sources = []
    for keyword, arguments in dockerfile_instructions():
        if keyword not in ("COPY", "ADD"):
            continue
        tokens = shlex.split(arguments)
        if any(token.startswith("--from") for token in tokens):
            continue
        paths = [token for token in tokens if not token.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    candidates = [path] + ["/".join(path.split("/")[:i]) for i in range(1, path.count("/") + 1)]
    excluded = False
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            excluded = not negated
    return excluded


def template_parser() -> configparser.RawConfigParser:
    # Raw: values hold %(CKAN_...)s references resolved by CKAN at start-up only.
    parser = configparser.RawConfigParser(strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(TEMPLATE.read_text(encoding="utf-8"), source=str(TEMPLATE))
    return parser


def app_main() -> configparser.SectionProxy:
    return template_parser()["app:main"]


def declared_options() -> list[tuple[str, str]]:
    """(key, declaration file) of every option declared anywhere in the package."""
    options = []
    for path in sorted(PACKAGE.rglob("config_declaration.yaml")):
        if "__pycache__" in path.parts:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in data.get("groups", []):
            for option in group.get("options", []):
                options.append((option["key"], str(path.relative_to(REPO))))
    return options


def load_script(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Secret detection ##############################################################################

_SECRET_NAME = re.compile(r"(secret|secret_key|password|passwd|token|api_key|private_key)$", re.I)
_REFERENCE = re.compile(r"%\([A-Za-z0-9_.]+\)s|\$\$?\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+|ENV\s+|ARG\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)["']?"""
    r"""\s*(?:=|:(?!//))\s*(?P<value>.*?)\s*$"""
)
# user:password@ in a URL, looked for once references are removed (the user may be empty).
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<password>[^@\s/]+)@", re.I)


def _literal_part(value: str) -> str:
    """What is left of a value once references, quotes and key-type prefixes are removed."""
    value = _REFERENCE.sub("", value.strip().strip("'\""))
    for prefix in ("string:", "file:"):
        value = value.removeprefix(prefix)
    return value.strip().strip("'\"")


def secret_findings(text: str) -> list[str]:
    """Lines that assign a literal to a secret-named key, or carry a URL with a password."""
    findings = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("#", ";")):
            continue
        match = _ASSIGNMENT.match(line)
        if match and _SECRET_NAME.search(match["name"]) and _literal_part(match["value"]):
            findings.append(f"{number}: {line.strip()}")
        if _URL_CREDENTIALS.search(_REFERENCE.sub("", line)):
            findings.append(f"{number}: {line.strip()}")
    return findings


def committed_files() -> list[Path]:
    # .env is the operator's secret file (git-ignored); it may exist on a production checkout.
    return sorted(
        path
        for path in DOCKER.rglob("*")
        if path.is_file() and path.name != ".env" and "__pycache__" not in path.parts
    )


# Compose: services and images ##################################################################


def test_compose_declares_every_required_service():
    missing = set(REQUIRED_SERVICES) - set(services())
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize("name", REQUIRED_SERVICES)
def test_service_image_is_pinned(name):
    reference = services()[name].get("image")
    assert reference, f"{name}: no image"
    tag = image_tag(reference)
    assert tag, f"{name}: {reference} has no tag"
    assert tag != "latest", f"{name}: {reference} is not pinned"


def base_images() -> list[str]:
    stages: set[str] = set()
    bases = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            tokens = [token for token in arguments.split() if not token.startswith("--")]
            if tokens[0] not in stages:
                bases.append(tokens[0])
            if len(tokens) == 3 and tokens[1].upper() == "AS":
                stages.add(tokens[2])
    return bases


def portal_base() -> re.Match[str]:
    """The ckan-base tag: exact CKAN release and Python version, e.g. 2.11.6-py3.10."""
    base = re.fullmatch(r"ckan/ckan-base:(\d+\.\d+\.\d+)-py(\d+\.\d+)", base_images()[0])
    assert (
        base
    ), f"build on an exact ckan/ckan-base:<release>-py<python> tag, not {base_images()[0]}"
    return base


def pinned_requirements() -> list[tuple[str, str]]:
    """(distribution, version) of every `name[extras]==version` line of requirements.txt."""
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    return re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", text, re.M)


def test_dockerfile_base_images_are_pinned_to_the_ckan_release():
    assert base_images(), "Dockerfile has no FROM"
    for base in base_images():
        assert image_tag(base) not in (None, "latest"), f"unpinned base image {base}"
    release = portal_base()[1]
    pins = dict(pinned_requirements())
    assert "ckan" in pins, "requirements.txt does not pin ckan"
    assert release == pins["ckan"], (
        f"Dockerfile builds on CKAN {release} but requirements.txt pins ckan=={pins['ckan']}: "
        "pip would replace the image's CKAN"
    )


@pytest.mark.parametrize(("name", "version"), pinned_requirements())
def test_pinned_requirement_supports_the_image_python(name, version):
    # Offline check: the Requires-Python of the pinned release, read from this environment's
    # install of it (the development venv installs exactly these pins).
    specifiers = pytest.importorskip("packaging.specifiers")
    try:
        installed = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{name} is not installed here")
    if installed.version != version:
        pytest.skip(f"{name} {installed.version} installed here, not the pinned {version}")
    requires = installed.metadata.get("Requires-Python") or ""
    python = portal_base()[2]
    assert specifiers.SpecifierSet(requires).contains(f"{python}.0"), (
        f"{name}=={version} requires Python {requires}; the image has Python {python}, so "
        "`pip install -r requirements.txt` fails in the Docker build"
    )


@pytest.mark.parametrize("name", PORTAL_SERVICES)
def test_portal_services_run_the_image_built_from_the_dockerfile(name):
    service = services()[name]
    build = service.get("build")
    assert isinstance(build, dict), f"{name}: no build section"
    assert (DOCKER / build["context"]).resolve() == REPO, f"{name}: context is not the repo root"
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert service["image"] == services()["ckan"]["image"], f"{name}: not the portal image"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("harvest-gather", ["harvester", "gather-consumer"]),
        ("harvest-fetch", ["harvester", "fetch-consumer"]),
    ],
)
def test_harvest_consumers_run_their_queue(name, words):
    command = services()[name]["command"]
    assert isinstance(command, list), f"{name}: use the exec (list) form of command"
    assert command[:3] == ["ckan", "-c", "/srv/app/ckan.ini"], command
    assert command[3:] == words, command


def test_scheduler_runs_the_mounted_script():
    scheduler = services()["scheduler"]
    script_target = next(arg for arg in scheduler["command"] if arg.endswith(".sh"))
    binds = {target: source for kind, source, target in mounts(scheduler) if kind == "bind"}
    assert script_target in binds, f"{script_target} is not mounted into the scheduler"
    assert (DOCKER / binds[script_target]).resolve() == SCHEDULER
    text = SCHEDULER.read_text(encoding="utf-8")
    assert 'ckan -c "$CKAN_INI" harvester run' in text
    assert 'ckan -c "$CKAN_INI" daknong harvest schedule' in text
    # Every 15 minutes unless the operator changes it.
    assert scheduler["environment"]["DAKNONG_HARVEST_RUN_INTERVAL"] == "900"


def test_only_the_portal_is_published_and_on_loopback_by_default():
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == {"ckan"}, f"services published on the host: {sorted(published)}"
    (port,) = services()["ckan"]["ports"]
    assert port.split(":")[0] == "127.0.0.1" and port.endswith(":5000"), port
    # Also when .env does not say where to bind.
    (raw_port,) = raw_compose()["services"]["ckan"]["ports"]
    assert interpolate(raw_port, {}).startswith("127.0.0.1:"), raw_port


# Compose: health and start order ###############################################################


@pytest.mark.parametrize("name", REQUIRED_SERVICES)
def test_service_has_a_healthcheck_probing_the_right_thing(name):
    healthcheck = services()[name].get("healthcheck")
    assert isinstance(healthcheck, dict), f"{name}: no healthcheck"
    assert not healthcheck.get("disable"), f"{name}: healthcheck disabled"
    test = healthcheck.get("test")
    assert test and test not in (["NONE"], "NONE"), f"{name}: empty healthcheck"
    assert HEALTH_PROBES[name] in healthcheck_text(services()[name]), healthcheck_text(
        services()[name]
    )


@pytest.mark.parametrize("name", sorted(EXPECTED_DEPENDENCIES))
def test_service_waits_for_healthy_dependencies(name):
    depends_on = services()[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must use the long form"
    assert set(depends_on) == EXPECTED_DEPENDENCIES[name]
    for dependency, settings in depends_on.items():
        assert settings.get("condition") == "service_healthy", f"{name} -> {dependency}"
        assert "healthcheck" in services()[dependency], f"{dependency} has no healthcheck"


# Compose: volumes and referenced files #########################################################


def test_named_volumes_are_declared_and_used():
    declared = set(compose().get("volumes") or {})
    used = {
        source
        for service in services().values()
        for kind, source, _ in mounts(service)
        if kind == "volume" and source
    }
    assert used, "no named volume is used"
    assert used <= declared, f"used but not declared: {sorted(used - declared)}"
    assert declared <= used, f"declared but never used: {sorted(declared - used)}"


@pytest.mark.parametrize(("name", "target"), PERSISTENT_MOUNTS)
def test_persistent_data_lives_on_a_named_volume(name, target):
    kinds = {t: (kind, source) for kind, source, t in mounts(services()[name])}
    assert target in kinds, f"{name}: nothing mounted at {target}"
    kind, source = kinds[target]
    assert kind == "volume" and source, f"{name}: {target} is not on a named volume"


def compose_file_references() -> list[tuple[str, Path]]:
    references = []
    for name, service in compose()["services"].items():
        build = service.get("build")
        if isinstance(build, dict):
            context = DOCKER / build.get("context", ".")
            references.append((f"{name} build context", context))
            references.append(
                (f"{name} dockerfile", context / build.get("dockerfile", "Dockerfile"))
            )
        elif isinstance(build, str):
            references.append((f"{name} build context", DOCKER / build))
        env_files = service.get("env_file") or []
        for entry in [env_files] if isinstance(env_files, str | dict) else env_files:
            path = entry["path"] if isinstance(entry, dict) else entry
            references.append((f"{name} env_file", DOCKER / path))
        for kind, source, target in mounts(service):
            if kind == "bind":
                references.append((f"{name} mount {target}", DOCKER / source))
    return references


def dockerfile_references() -> list[tuple[str, Path]]:
    return [(f"COPY {source}", REPO / source) for source in copy_sources()]


@pytest.mark.parametrize(
    ("what", "path"),
    compose_file_references() + dockerfile_references(),
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_referenced_file_exists(what, path):
    assert path.exists() or any(path.parent.glob(path.name)), f"{what}: {path} does not exist"


def test_references_were_found():
    # Guards the parametrized test above against silently checking nothing.
    whats = " ".join(what for what, _ in compose_file_references() + dockerfile_references())
    for expected in ("build context", "dockerfile", "mount", "COPY requirements.txt"):
        assert expected in whats


@pytest.mark.parametrize("source", copy_sources())
def test_copy_source_reaches_the_builder(source):
    assert not dockerignore_excludes(source), f"{source} is excluded by {DOCKERIGNORE.name}"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build():
    for path in (".env", "deployment/docker/.env", ".venv/bin/python", "deployment/local/ckan.ini"):
        assert dockerignore_excludes(path), f"{path} would be sent to the builder"


# Dockerfile ####################################################################################


def test_dockerfile_installs_the_extension_and_the_production_config():
    runs = " ".join(
        arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"
    )
    assert re.search(
        r"pip3? install [^&]*-r \S*requirements\.txt", runs
    ), "requirements not installed"
    assert re.search(r"pip3? install [^&]*\$\{?DAKNONG_SRC\}?(\s|$)", runs), "package not installed"
    copies = [shlex.split(a) for k, a in dockerfile_instructions() if k == "COPY"]
    assert any(
        "deployment/docker/ckan.ini.template" in tokens and tokens[-1] == "${CKAN_INI}"
        for tokens in copies
    ), "ckan.ini.template is not installed as $CKAN_INI"
    users = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "USER"]
    assert users and users[-1] == "ckan", "the image must run as the unprivileged ckan user"


def test_dockerfile_plugin_list_is_the_template_plugin_list():
    # ckan-base's start script writes CKAN__PLUGINS into the web container's ini, while the
    # consumers read the template's line: both must name the same plugins in the same order.
    assert dockerfile_env()["CKAN__PLUGINS"].split() == app_main()["ckan.plugins"].split()


def test_image_source_directory_matches_the_documented_paths():
    assert dockerfile_env()["DAKNONG_SRC"] == "${SRC_DIR}/ckanext-daknong"
    paths = re.findall(re.escape(IMAGE_SRC) + r"/(\S+\.yaml)", README.read_text(encoding="utf-8"))
    assert paths, "README gives no path of a file in the image"
    for path in paths:
        assert (REPO / path).is_file(), f"README names {IMAGE_SRC}/{path}, not in the repository"


# ckan.ini.template #############################################################################


def test_template_is_a_complete_ckan_config():
    parser = template_parser()
    for section in ("app:main", "loggers", "handlers", "formatters"):
        assert parser.has_section(section), f"[{section}] missing (CKAN fails to load without it)"
    assert parser["app:main"]["use"] == "egg:ckan"
    assert parser.get("DEFAULT", "debug") == "false"


def test_config_declarations_are_found():
    assert declared_options(), "no config_declaration.yaml option found under the package"


@pytest.mark.parametrize(("key", "declared_in"), declared_options())
def test_template_documents_every_declared_option(key, declared_in):
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    index = next(
        (i for i, line in enumerate(lines) if re.match(rf"{re.escape(key)}\s*=", line)), None
    )
    assert index is not None, f"{key} (declared in {declared_in}) is missing from the template"
    assert key in app_main(), f"{key} is not in [app:main]"
    assert index > 0 and lines[index - 1].startswith("#"), f"{key} has no comment line above it"


def test_template_enables_the_portal_plugins():
    plugins = app_main()["ckan.plugins"].split()
    assert len(plugins) == len(set(plugins)), f"duplicate plugins: {plugins}"
    missing = [plugin for plugin in REQUIRED_PLUGINS if plugin not in plugins]
    assert not missing, f"plugins missing: {missing}"
    assert plugins[: len(PLUGINS)] == PLUGINS


def test_template_core_settings():
    config = app_main()
    assert config["ckan.locale_default"] == "vi"
    assert config["ckan.locales_offered"].split() == ["vi", "en"]
    assert config["scheming.dataset_schemas"].split() == [
        "ckanext.daknong.schemas:dataset.yaml",
        "ckanext.daknong.schemas:database.yaml",
    ]
    assert config["scheming.organization_schemas"] == "ckanext.daknong.schemas:organization.yaml"
    assert config["scheming.presets"].split() == [
        "ckanext.scheming:presets.json",
        "ckanext.daknong.schemas:presets.yaml",
    ]
    assert config["ckan.harvest.mq.type"] == "redis"
    assert config["ckan.harvest.mq.hostname"] in services(), "harvest queue host is no service"
    assert config["ckan.harvest.mq.port"] == "6379"


@pytest.mark.parametrize(
    "option", ["scheming.dataset_schemas", "scheming.organization_schemas", "scheming.presets"]
)
def test_template_schema_files_exist(option):
    for reference in app_main()[option].split():
        package, _, filename = reference.partition(":")
        parts = package.split(".")
        if parts[:2] != ["ckanext", "daknong"]:
            continue  # another distribution's file; check_image.py verifies it in the image
        if len(parts) > 2 and parts[2] in RESOURCE_PACKAGES:
            directory = REPO / "ckanext-daknong" / Path(*parts[2:])
        else:
            directory = PACKAGE / Path(*parts[2:])
        assert (directory / filename).is_file(), f"{option}: {reference} does not exist"


def test_template_references_only_variables_the_containers_get():
    config = app_main()
    known = set(config) | set(template_parser().defaults())
    for name in PORTAL_SERVICES:
        environment = set(services()[name]["environment"])
        for key in config:
            for reference in re.findall(r"%\(([^)]+)\)s", config[key]):
                assert (
                    reference in known or reference in environment
                ), f"{key} uses %({reference})s, which {name} does not set"


def test_template_has_no_shell_placeholders():
    # Neither CKAN nor the ckan-base image expands ${NAME} in an ini file: it would stay literal.
    parser = template_parser()
    for section in parser.sections():
        for key, value in parser.items(section):
            assert "${" not in value, f"[{section}] {key} = {value}"


# Environment and secrets #######################################################################


def test_env_example_defines_every_variable_compose_needs():
    defined = parse_env_file(ENV_EXAMPLE)
    for name, op, _ in compose_variables():
        if op not in (":-", "-"):
            assert name in defined, f"{name} is required by docker-compose.yml, not in .env.example"
    used = {name for name, _, _ in compose_variables()}
    assert set(defined) <= used, f"unused in docker-compose.yml: {sorted(set(defined) - used)}"


def test_env_example_leaves_every_secret_empty():
    for name, value in parse_env_file(ENV_EXAMPLE).items():
        if _SECRET_NAME.search(name):
            assert value == "", f".env.example gives {name} a value: secrets belong in .env only"


def test_compose_takes_secrets_only_from_env():
    for name, service in raw_compose()["services"].items():
        environment = service.get("environment") or {}
        assert isinstance(environment, dict), f"{name}: use the mapping form of environment"
        for key, value in environment.items():
            if _SECRET_NAME.search(key):
                match = re.fullmatch(r"\$\{(\w+)(?::([-?])([^}]*))?\}", str(value))
                assert match, f"{name}: {key} is not a plain ${{...}} reference"
                operator, argument = match.group(2, 3)
                assert operator == "?" or not argument, f"{name}: {key} has a default value"


def test_required_secrets_stop_compose_when_missing():
    required = {name for name, op, _ in compose_variables() if op in (":?", "?")}
    for name in ("CKAN_SECRET_KEY", "CKAN_DB_PASSWORD", "POSTGRES_PASSWORD", "CKAN_SITE_URL"):
        assert name in required, f"{name} must be ${{{name}:?...}} in docker-compose.yml"


def test_committed_deployment_files_hold_no_secret():
    files = committed_files()
    assert TEMPLATE in files and ENV_EXAMPLE in files and COMPOSE_FILE in files
    findings = {
        str(path.relative_to(REPO)): found
        for path in files
        if (found := secret_findings(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert not findings, f"secret-looking values: {findings}"


@pytest.mark.parametrize(
    ("line", "is_secret"),
    [
        ("SECRET_KEY = 3f9c1a7be20d44e1", True),
        ("api_token.jwt.encode.secret = string:3f9c1a7be20d44e1", True),
        ("CKAN_DB_PASSWORD=hunter2hunter2", True),
        ('ENV CKAN___SECRET_KEY="abc"', True),
        ("  CKAN_SECRET_KEY: literal-value", True),
        ("CKAN_SQLALCHEMY_URL: postgresql://ckan:realpass@db/ckan", True),
        ("SECRET_KEY = %(CKAN_SECRET_KEY)s", False),
        ("api_token.jwt.decode.secret = string:%(SECRET_KEY)s", False),
        ("CKAN_DB_PASSWORD=", False),
        ("  CKAN_SECRET_KEY: ${CKAN_SECRET_KEY:?set it}", False),
        ("CKAN_SQLALCHEMY_URL: postgresql://${U}:${CKAN_DB_PASSWORD:?x}@db/ckan", False),
        ("# SECRET_KEY = example in a comment", False),
        ("ckan.site_url = https://portal.example.gov.vn", False),
    ],
)
def test_secret_scanner(line, is_secret):
    assert bool(secret_findings(line)) is is_secret


def test_env_file_is_git_ignored():
    result = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "-q", "deployment/docker/.env"],
        capture_output=True,
        check=False,
    )
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.returncode == 0, "deployment/docker/.env (the secrets) is not git-ignored"


# Scripts #######################################################################################


@pytest.mark.parametrize(
    "script",
    sorted(DOCKER.rglob("*.sh")),
    ids=lambda path: str(path.relative_to(DOCKER)),
)
def test_shell_script_syntax(script):
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


FAKE_CKAN = """#!/bin/sh
echo "$*" >> "$FAKE_CKAN_CALLS"
if [ -n "${FAKE_CKAN_FAIL:-}" ]; then
    case "$*" in *"$FAKE_CKAN_FAIL"*) exit 3 ;; esac
fi
exit 0
"""


def run_scheduler(
    tmp_path: Path, fail: str = "", schedule_hour: int = 0, min_calls: int = 6
) -> tuple[int, list[str], str, Path]:
    """Run scheduler.sh against a fake `ckan` with no pause between turns, then stop it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ckan"
    fake.write_text(FAKE_CKAN)
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    heartbeat = tmp_path / "heartbeat"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_CKAN_CALLS": str(calls),
        "FAKE_CKAN_FAIL": fail,
        "DAKNONG_HARVEST_RUN_INTERVAL": "0",
        "DAKNONG_SCHEDULE_HOUR": str(schedule_hour),
        "DAKNONG_SCHEDULER_HEARTBEAT": str(heartbeat),
    }
    process = subprocess.Popen(
        ["sh", str(SCHEDULER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            if calls.exists() and len(calls.read_text().splitlines()) >= min_calls:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, calls.read_text().splitlines(), output, heartbeat


def test_scheduler_plans_once_a_day_and_runs_the_harvester_every_turn(tmp_path):
    code, calls, output, heartbeat = run_scheduler(tmp_path)
    assert code == 0, output  # stopped by its TERM trap, not killed
    assert calls[0] == "-c /srv/app/ckan.ini daknong harvest schedule"
    assert calls.count("-c /srv/app/ckan.ini daknong harvest schedule") == 1, calls
    assert set(calls[3:]) == {"-c /srv/app/ckan.ini harvester run"}, calls
    assert heartbeat.exists()


def test_scheduler_signs_the_sharing_log_and_records_expiries_once_an_hour(tmp_path):
    """NĐ 47 Art. 45: the log's head is signed and grant ends are logged every hour."""
    _, calls, _, _ = run_scheduler(tmp_path)
    assert calls[1:3] == [
        "-c /srv/app/ckan.ini daknong sharing-log checkpoint",
        "-c /srv/app/ckan.ini daknong access record-expiries",
    ], calls
    assert calls.count("-c /srv/app/ckan.ini daknong sharing-log checkpoint") == 1, calls


def test_scheduler_retries_a_failed_schedule_and_keeps_harvesting(tmp_path):
    code, calls, output, heartbeat = run_scheduler(tmp_path, fail="daknong harvest schedule")
    assert code == 0, output
    assert calls.count("-c /srv/app/ckan.ini daknong harvest schedule") >= 2, calls
    assert "-c /srv/app/ckan.ini harvester run" in calls
    assert "retrying next turn" in output
    assert heartbeat.exists()


def test_scheduler_beats_only_after_a_successful_harvester_run(tmp_path):
    code, calls, output, heartbeat = run_scheduler(tmp_path, fail="harvester run")
    assert code == 0, output
    assert calls.count("-c /srv/app/ckan.ini harvester run") >= 2, "the loop must survive"
    assert not heartbeat.exists()


def test_scheduler_waits_for_the_schedule_hour(tmp_path):
    hour = (datetime.now(timezone.utc) + timedelta(hours=7)).hour
    if hour == 23:
        pytest.skip("no later hour today in Vietnam")
    _, calls, _, _ = run_scheduler(tmp_path, schedule_hour=hour + 1, min_calls=3)
    assert calls and not any("daknong harvest schedule" in call for call in calls), calls


def test_scheduler_rejects_a_bad_interval(tmp_path):
    env = {**os.environ, "DAKNONG_HARVEST_RUN_INTERVAL": "15m"}
    result = subprocess.run(
        ["sh", str(SCHEDULER)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "must be seconds" in result.stdout


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    return load_script(HEALTHCHECK, "daknong_docker_healthcheck")


def fake_proc(root: Path, pid: int, argv: list[str]) -> None:
    (root / str(pid)).mkdir()
    (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")


def test_process_check_matches_whole_arguments_and_skips_the_init_wrapper(healthcheck, tmp_path):
    wanted = ["harvester", "gather-consumer"]
    fake_proc(tmp_path, 1, ["/sbin/docker-init", "--", "ckan", "-c", "x.ini", *wanted])
    fake_proc(tmp_path, 9, ["sh", "-c", "echo harvester gather-consumer"])
    assert not healthcheck.check_process(wanted, proc_root=tmp_path)[0]
    fake_proc(
        tmp_path, 7, ["/usr/local/bin/python3", "/usr/local/bin/ckan", "-c", "x.ini", *wanted]
    )
    healthy, reason = healthcheck.check_process(wanted, proc_root=tmp_path)
    assert healthy and reason.startswith("pid 7")


@pytest.fixture
def probe_process() -> Iterator[list[str]]:
    marker = ["daknong-healthcheck-probe", str(os.getpid()), str(time.monotonic_ns())]
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *marker])
    try:
        yield marker
    finally:
        process.kill()
        process.wait()


def test_process_check_finds_a_real_process_but_never_itself(probe_process):
    def check(words: list[str]) -> int:
        command = [sys.executable, str(HEALTHCHECK), "process", *words]
        return subprocess.run(command, capture_output=True, check=False, timeout=30).returncode

    assert check(probe_process) == 0
    # The checker's own argument list ends with these words: it must not count itself.
    assert check([*probe_process[:2], "no-such-process"]) == 1


def test_freshness_check(healthcheck, tmp_path):
    beat = tmp_path / "heartbeat"
    assert not healthcheck.check_fresh(beat, 60)[0]
    beat.touch()
    assert healthcheck.check_fresh(beat, 60)[0]
    old = time.time() - 7200
    os.utime(beat, (old, old))
    assert not healthcheck.check_fresh(beat, 60)[0]


class _CkanLikeHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = {
            "/ok": (200, {"success": True}),
            "/failed": (200, {"success": False}),
            "/error": (500, {"success": False}),
        }.get(self.path, (404, {}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ckan_like_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CkanLikeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "healthy"), [("/ok", True), ("/failed", False), ("/error", False)]
)
def test_http_check(healthcheck, ckan_like_server, path, healthy):
    assert healthcheck.check_http(ckan_like_server + path)[0] is healthy


def test_healthcheck_usage_errors(healthcheck):
    assert healthcheck.main([]) == 2
    assert healthcheck.main(["fresh", "/tmp/x"]) == 2


def _run_check_image(plugins: str, ini: Path = TEMPLATE) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("ckan") is None:
        pytest.skip("CKAN is not installed in this interpreter")
    env = {**os.environ, "CKAN__PLUGINS": plugins}
    command = [sys.executable, str(CHECK_IMAGE), str(ini)]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_image_accepts_the_shipped_configuration():
    result = _run_check_image(dockerfile_env()["CKAN__PLUGINS"])
    assert result.returncode == 0, result.stderr


def test_check_image_rejects_a_plugin_list_mismatch():
    result = _run_check_image("activity daknong")
    assert result.returncode == 1
    assert "differs from ckan.plugins" in result.stderr


def test_check_image_rejects_an_unknown_plugin_and_a_missing_schema(tmp_path):
    ini = tmp_path / "ckan.ini"
    text = TEMPLATE.read_text(encoding="utf-8")
    text = re.sub(r"^(ckan\.plugins = .*)$", r"\1 no_such_plugin", text, count=1, flags=re.M)
    text = text.replace("schemas:database.yaml", "schemas:no_such_schema.yaml", 1)
    ini.write_text(text, encoding="utf-8")
    result = _run_check_image(dockerfile_env()["CKAN__PLUGINS"] + " no_such_plugin", ini)
    assert result.returncode == 1
    assert "plugin 'no_such_plugin': no ckan.plugins entry point" in result.stderr
    assert "no_such_schema.yaml does not exist" in result.stderr


# README ########################################################################################


@pytest.mark.parametrize(
    "needle",
    [
        "cp .env.example .env",
        "docker compose build",
        "db upgrade -p harvest",
        "db upgrade -p daknong",
        "search-index rebuild",
        "sysadmin add",
        "daknong agencies load",
        "backup.sh",
        "pg_dump",
        "cron",
        "## Upgrades",
    ],
)
def test_readme_documents_deployment_steps(needle):
    assert needle in README.read_text(encoding="utf-8")
