"""The sharing log is tamper-evident (NĐ 47 Art. 45; QĐ 43 Art. 7.4).

``tamper`` is a PostgreSQL superuser with triggers switched off: the strongest attacker short
of the signing key. Each kind of tampering must make ``verify`` name the first broken entry;
the log is restored exactly after each test.
"""

from __future__ import annotations

import ckan.cli.cli
import pytest

from ckanext.daknong.sharing_log import entries, integrity
from ckanext.daknong.sharing_log import model as log_model

pytestmark = pytest.mark.usefixtures("with_plugins")

ENTRY = f"{log_model.SCHEMA}.entry"
CHECKPOINT = f"{log_model.SCHEMA}.checkpoint"


def append(count: int, **fields) -> list[dict]:
    return entries.append(
        [
            entries.Draft(
                event="read",
                channel="api",
                status="served",
                action="package_show",
                dataset_ids=["du-lieu-kiem-thu"],
                request_content={"params": {"lan": number}},
                **fields,
            )
            for number in range(count)
        ]
    )


def insert(tamper, row: dict) -> None:
    columns = [c.name for c in log_model.entry.columns]
    tamper.execute(
        f"INSERT INTO {ENTRY} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
        [row[c] for c in columns],
    )


def run_verify(cli):
    return cli.invoke(ckan.cli.cli.ckan, ["daknong", "sharing-log", "verify"])


def test_a_sound_chain_verifies_ok_on_the_command_line(cli):
    rows = append(5)
    result = run_verify(cli)
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    report = integrity.verify_database()
    assert report.ok and report.head_id >= rows[-1]["id"]


def test_each_entry_links_to_the_one_before():
    rows = append(3)
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[2]["prev_hash"] == rows[1]["hash"]
    assert [r["id"] for r in rows] == list(range(rows[0]["id"], rows[0]["id"] + 3))
    assert all(entries.entry_hash(r) == r["hash"] for r in rows)


def test_an_edited_row_is_named(cli, tamper):
    rows = append(5)
    tamper.execute(f"UPDATE {ENTRY} SET user_name = 'nguoi-khac' WHERE id = %s", (rows[2]["id"],))
    report = integrity.verify_database()
    assert not report.ok
    assert report.broken_id == rows[2]["id"]
    assert "edited" in report.problem
    result = run_verify(cli)
    assert result.exit_code == 1
    assert f"BROKEN at entry {rows[2]['id']}" in result.output


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(tamper):
    rows = append(5)
    forged = dict(rows[2], status="denied")
    forged["hash"] = entries.entry_hash(forged)
    tamper.execute(
        f"UPDATE {ENTRY} SET status = 'denied', hash = %s WHERE id = %s",
        (forged["hash"], rows[2]["id"]),
    )
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[3]["id"])
    assert "does not follow" in report.problem


def test_a_deleted_row_is_named(tamper):
    rows = append(5)
    tamper.execute(f"DELETE FROM {ENTRY} WHERE id = %s", (rows[2]["id"],))
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[2]["id"])
    assert "missing" in report.problem


def test_an_inserted_row_is_named(tamper):
    rows = append(5)
    at = rows[2]["id"]
    # make room, as an attacker must: shift the later rows up by one
    tamper.execute(f"UPDATE {ENTRY} SET id = -id WHERE id >= %s", (at,))
    tamper.execute(f"UPDATE {ENTRY} SET id = -id + 1 WHERE id < 0")
    forged = dict(rows[2], id=at, prev_hash=rows[1]["hash"], user_name="nguoi-gia-mao")
    forged["hash"] = entries.entry_hash(forged)
    insert(tamper, forged)
    report = integrity.verify_database()
    # the forged row itself chains correctly; the first shifted row no longer does
    assert (report.ok, report.broken_id) == (False, at + 1)
    assert "does not follow" in report.problem


def test_an_appended_forgery_that_does_not_chain_is_named(tamper):
    rows = append(2)
    forged = dict(rows[1], id=rows[1]["id"] + 1, prev_hash="f" * 64)
    forged["hash"] = entries.entry_hash(forged)
    insert(tamper, forged)
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, forged["id"])


def test_reordered_rows_are_named(tamper):
    rows = append(5)
    first, second = rows[1]["id"], rows[3]["id"]
    tamper.execute(f"UPDATE {ENTRY} SET id = -1 WHERE id = %s", (first,))
    tamper.execute(f"UPDATE {ENTRY} SET id = %s WHERE id = %s", (first, second))
    tamper.execute(f"UPDATE {ENTRY} SET id = %s WHERE id = -1", (second,))
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, first)


def test_a_chain_rewritten_from_the_start_fails_its_signed_checkpoint(tamper):
    """Without the key an attacker can rebuild every hash but not the checkpoint signature."""
    rows = append(4)
    signed = entries.sign_head()
    assert signed["entry_id"] == rows[-1]["id"]
    previous = rows[0]["prev_hash"]
    for row in rows:
        rewritten = dict(row, prev_hash=previous)
        if row is rows[1]:
            rewritten["purpose"] = "muc-dich-gia"
        rewritten["hash"] = entries.entry_hash(rewritten)
        tamper.execute(
            f"UPDATE {ENTRY} SET purpose = %s, prev_hash = %s, hash = %s WHERE id = %s",
            (rewritten["purpose"], rewritten["prev_hash"], rewritten["hash"], row["id"]),
        )
        previous = rewritten["hash"]
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[-1]["id"])
    assert "checkpoint" in report.problem


def test_deleting_the_newest_rows_is_caught_by_the_checkpoint(tamper):
    rows = append(3)
    entries.sign_head()
    tamper.execute(f"DELETE FROM {ENTRY} WHERE id >= %s", (rows[1]["id"],))
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[1]["id"])


def test_a_forged_checkpoint_signature_is_named(tamper):
    rows = append(2)
    entries.sign_head()
    tamper.execute(
        f"UPDATE {CHECKPOINT} SET signature = %s WHERE entry_id = %s", ("0" * 64, rows[-1]["id"])
    )
    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[-1]["id"])


def test_checkpoints_are_signed_automatically_at_the_interval(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.daknong.sharing_log.checkpoint_interval", 3)
    rows = append(7)
    ids = [r["id"] for r in rows]
    with entries.ckan_model.meta.engine.connect() as connection:
        signed = {
            row.entry_id
            for row in connection.execute(
                log_model.checkpoint.select().where(log_model.checkpoint.c.entry_id.in_(ids))
            )
        }
    # one checkpoint per append that crosses a multiple of 3, at the append's last entry
    assert signed == {ids[-1]}
    more = append(3)
    with entries.ckan_model.meta.engine.connect() as connection:
        assert connection.execute(
            log_model.checkpoint.select().where(log_model.checkpoint.c.entry_id == more[-1]["id"])
        ).first()


def _only_new_checkpoints(tamper) -> None:
    """Earlier tests signed with the suite's SECRET_KEY-derived key, which a configured key
    no longer accepts: remove their checkpoints (``tamper`` restores them afterwards)."""
    tamper.execute(f"DELETE FROM {CHECKPOINT}")


def test_checkpoints_verify_with_a_retired_key_after_rotation(ckan_config, monkeypatch, tamper):
    """``tamper`` only restores the log afterwards: this checkpoint's key is the test's own."""
    _only_new_checkpoints(tamper)
    monkeypatch.setitem(ckan_config, "ckanext.daknong.sharing_log.signing_key", "khoa-cu")
    append(2)
    entries.sign_head()
    monkeypatch.setitem(ckan_config, "ckanext.daknong.sharing_log.signing_key", "khoa-moi")
    assert not integrity.verify_database().ok
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.sharing_log.previous_signing_keys", ["khoa-cu"]
    )
    assert integrity.verify_database().ok


def _forge_with_the_derived_key(tamper, rows: list[dict]) -> None:
    """An attacker who knows SECRET_KEY (a web-tier secret) but not the separate key rewrites
    an entry, rebuilds every hash after it and re-signs the head with the derived key."""
    previous = rows[0]["prev_hash"]
    for row in rows:
        rewritten = dict(row, prev_hash=previous)
        if row is rows[0]:
            rewritten["user_name"] = "nguoi-gia-mao"
        rewritten["hash"] = entries.entry_hash(rewritten)
        tamper.execute(
            f"UPDATE {ENTRY} SET user_name = %s, prev_hash = %s, hash = %s WHERE id = %s",
            (rewritten["user_name"], rewritten["prev_hash"], rewritten["hash"], row["id"]),
        )
        previous = rewritten["hash"]
    derived = entries.derived_key()
    tamper.execute(
        f"UPDATE {CHECKPOINT} SET entry_hash = %s, key_id = %s, signature = %s "
        "WHERE entry_id = %s",
        (
            previous,
            entries.key_id(derived),
            entries.signature(derived, rows[-1]["id"], previous),
            rows[-1]["id"],
        ),
    )


def test_a_checkpoint_forged_with_the_derived_key_fails_once_a_separate_key_is_set(
    ckan_config, monkeypatch, tamper, cli
):
    """Low finding of issue 10 (NĐ 47 Art. 45; QĐ 43 Art. 12.3): the checkpoint key could be
    derived from SECRET_KEY and was still accepted after a separate key was set, so whoever
    held SECRET_KEY could rewrite the log and re-sign it. Now only the configured key and the
    retired keys listed verify."""
    _only_new_checkpoints(tamper)
    monkeypatch.setitem(ckan_config, entries.SIGNING_KEY, "khoa-rieng-cua-nhat-ky")
    rows = append(3)
    entries.sign_head()
    assert integrity.verify_database().ok
    _forge_with_the_derived_key(tamper, rows)

    report = integrity.verify_database()
    assert (report.ok, report.broken_id) == (False, rows[-1]["id"])
    assert "derived from SECRET_KEY" in report.problem
    result = run_verify(cli)
    assert result.exit_code == 1
    assert f"BROKEN at entry {rows[-1]['id']}" in result.output


def test_the_derived_key_is_accepted_only_when_listed_among_retired_keys(
    ckan_config, monkeypatch, tamper
):
    """The rule: with a separate key set, what the derived key signed verifies only if the
    operator lists ``derived:SECRET_KEY`` in previous_signing_keys (checkpoints made before
    the separate key existed)."""
    _only_new_checkpoints(tamper)
    append(2)
    signed = entries.sign_head()  # the suite configures no key: the derived one signs
    assert signed["key_id"] == entries.key_id(entries.derived_key())
    monkeypatch.setitem(ckan_config, entries.SIGNING_KEY, "khoa-rieng-moi")
    assert not integrity.verify_database().ok
    monkeypatch.setitem(ckan_config, entries.PREVIOUS_SIGNING_KEYS, [entries.DERIVED_KEY_TOKEN])
    assert integrity.verify_database().ok


def test_the_cli_warns_while_the_derived_key_signs(cli, ckan_config, monkeypatch, tamper):
    """QĐ 43 Art. 12.3: an operator is told that the log's key is only SECRET_KEY's shadow."""
    append(1)
    warned = cli.invoke(ckan.cli.cli.ckan, ["daknong", "sharing-log", "checkpoint"])
    assert warned.exit_code == 0, warned.output
    assert "WARNING" in warned.output and "derived from SECRET_KEY" in warned.output
    monkeypatch.setitem(ckan_config, entries.SIGNING_KEY, "khoa-rieng")
    quiet = cli.invoke(ckan.cli.cli.ckan, ["daknong", "sharing-log", "checkpoint"])
    assert "WARNING" not in quiet.output
