"""Run harvest jobs in-process (the stages the gather and fetch consumers would run)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError

from ckanext.daknong.harvest.model import HarvestRecord, HarvestSecret, HarvestWarning


def sysadmin() -> dict[str, Any]:
    return factories.Sysadmin()


def make_source(
    agency: dict[str, Any],
    url: str,
    source_type: str,
    config: dict[str, Any] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    return call_action(
        "harvest_source_create",
        context={"user": sysadmin()["name"]},
        name=name or f"nguon-{source_type.replace('_', '-')}-{agency['name']}"[:100],
        title=f"Nguồn {agency['title']}",
        url=url,
        source_type=source_type,
        frequency="MANUAL",
        owner_org=agency["id"],
        config=json.dumps(config or {}),
    )


def set_token(source_id: str, token: str) -> None:
    model.Session.merge(HarvestSecret(source_id=source_id, token=token))
    model.Session.commit()


def run_job(source_id: str) -> dict[str, Any]:
    """One harvest job, gather → fetch → import → close, as the consumers would run it."""
    job_dict = call_action(
        "harvest_job_create", context={"user": sysadmin()["name"]}, source_id=source_id, run=False
    )
    return run_existing_job(job_dict["id"])


def run_existing_job(job_id: str) -> dict[str, Any]:
    """Run the stages of a job that is already created (by the scheduler, say)."""
    job = HarvestJob.get(job_id)
    job.status = "Running"
    job.save()
    source_id = job.source_id
    harvester = queue.get_harvester(job.source.type)
    object_ids = queue.gather_stage(harvester, job) or []
    for object_id in object_ids:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    call_action("harvest_jobs_run", context={"ignore_auth": True}, source_id=source_id)
    return report(job.id, len(object_ids))


def report(job_id: str, objects: int) -> dict[str, Any]:
    model.Session.expire_all()
    gather = [
        e.message for e in model.Session.query(HarvestGatherError).filter_by(harvest_job_id=job_id)
    ]
    object_errors = [
        e.message
        for e in model.Session.query(HarvestObjectError)
        .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
        .filter(HarvestObject.harvest_job_id == job_id)
    ]
    warnings = [w.message for w in model.Session.query(HarvestWarning).filter_by(job_id=job_id)]
    return {
        "job_id": job_id,
        "objects": objects,
        "gather_errors": gather,
        "object_errors": object_errors,
        "warnings": warnings,
        "status": HarvestJob.get(job_id).status,
    }


def harvested(source_id: str) -> dict[str, dict[str, Any]]:
    """remote id → the local dataset (package_show as the site user), withdrawn ones too."""
    model.Session.expire_all()
    result = {}
    for record in model.Session.query(HarvestRecord).filter_by(source_id=source_id):
        if record.package_id:
            result[record.remote_id] = call_action(
                "package_show", context={"ignore_auth": True}, id=record.package_id
            )
    return result


def solr_update_stats(ckan_config: Any) -> dict[str, Any]:
    """Solr's update-handler statistics since it started (adds, commits, automatic commits)."""
    url = ckan_config["solr_url"].rstrip("/") + "/admin/mbeans"
    reply = requests.get(url, params={"cat": "UPDATE", "stats": "true", "wt": "json"}, timeout=10)
    beans = reply.json()["solr-mbeans"]
    return beans[beans.index("UPDATE") + 1]["updateHandler"]["stats"]


def record(source_id: str, remote_id: str) -> HarvestRecord:
    model.Session.expire_all()
    return (
        model.Session.query(HarvestRecord).filter_by(source_id=source_id, remote_id=remote_id).one()
    )


# --- a redis-server of one test, for the harvest consumers (restarts, concurrent runs) ----------

RECORDS = 6  # datasets of the remote portal of the consumer tests (conftest.py: ``portal``)


def _free_port() -> int:
    for port in range(6390, 6400):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 6390–6399 for a private redis-server")


class PrivateRedis:
    """A redis-server of this test only, without persistence: a restart loses everything."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # a crash: no shutdown, nothing saved
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> int:
        old = self.process.pid if self.process else None
        self.stop()
        self.start()
        assert self.process is not None and self.process.pid != old
        return self.process.pid
