"""Each node records the host of every attempt; the API and run page show it."""

from __future__ import annotations

import socket

import pytest

from runner.claims import sql as claims_sql
from runner.models import NodeResult
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, dataset_make, fan_doc

pytestmark = pytest.mark.django_db


def test_every_node_that_ran_records_the_host_it_ran_on(owner, drain, api, client):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    host = socket.gethostname()
    assert set(run.nodes.values_list("hosts", flat=True)) == {host}
    nodes = api.get(f"/api/runs/{run.id}/").json()["nodes"]
    assert {n["node_id"]: n["hosts"] for n in nodes}["both"] == [host]
    client.force_login(owner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert f'data-node-hosts="both">{host}</dd>' in page


def test_a_retried_node_keeps_the_host_of_each_attempt(owner, drain, monkeypatch):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    NodeResult.objects.filter(run=run).update(hosts="host-c")
    monkeypatch.setattr(claims_sql, "HOST", "host-b")
    drain()
    hosts = set(run.nodes.values_list("hosts", flat=True))
    assert hosts == {"host-c, host-b"}


def test_hosts_stay_within_the_column_however_many_attempts(owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    NodeResult.objects.filter(run=run).update(hosts="h" * 399)
    drain()
    assert {len(h) for h in run.nodes.values_list("hosts", flat=True)} == {400}
