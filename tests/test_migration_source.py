"""Migration 0007: records stored before it get a source — "admin" for those the admin's log
says were added there, "generator" for the rest."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("feeds", "0004_spend_cells"), ("admin", "0003_logentry_add_action_flag_choices")]
AFTER = [("feeds", "0007_record_source_and_api_tokens")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_after():
    """The test database back at the latest migrations for the tests after this one."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_after")
def test_existing_records_get_generator_or_admin_as_their_source():
    old = migrate(BEFORE)
    Record = old.get_model("feeds", "SpendRecord")
    values = dict(spent=1, year=2014, pay_type="visa", quantity=1, total=1, tip=0)
    generated = Record.objects.create(name="Ben", seq=1, **values)
    added = Record.objects.create(name="Aziz", seq=2, **values)
    ContentType = old.get_model("contenttypes", "ContentType")
    User = old.get_model("auth", "User")
    content_type, _ = ContentType.objects.get_or_create(app_label="feeds", model="spendrecord")
    old.get_model("admin", "LogEntry").objects.create(
        user=User.objects.create(username="staff"),
        content_type=content_type,
        object_id=str(added.pk),
        object_repr="x",
        action_flag=1,
    )

    new = migrate(AFTER)

    sources = dict(new.get_model("feeds", "SpendRecord").objects.values_list("id", "source"))
    assert sources == {generated.pk: "generator", added.pk: "admin"}
