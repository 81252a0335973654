"""The fixed pages: `GET /` lists what the mock serves, and each spec is served as written, in JSON and YAML."""

from __future__ import annotations

import json

import yaml

from mock_server.app import docs_paths
from mock_server.docs import fixed_pages
from mock_server.served_setup import setup_facts
from mock_server.settings import Settings
from mock_server.spec import load_api

APIS = [load_api("flatfile"), load_api("sift")]
DOCS = {api.name: docs_paths(api) for api in APIS}
PAGES = fixed_pages(APIS, DOCS, setup_facts(Settings()))


def test_the_index_lists_every_operation_with_its_statuses_and_example_names() -> None:
    index = json.loads(PAGES["/"].body)
    flatfile = next(api for api in index["apis"] if api["name"] == "flatfile")
    assert (flatfile["swaggerUi"], flatfile["openapi"]) == DOCS["flatfile"]
    operations = {operation["operationId"]: operation for operation in flatfile["operations"]}
    assert len(operations) == len(APIS[0].operations)
    get_job = operations["getJob"]
    assert (get_job["method"], get_job["path"]) == ("GET", "/v1/jobs/{jobId}")
    assert get_job["responses"]["200"] == ["complete", "executing", "failed"]
    assert get_job["responses"]["404"] == ["jobNotFound"]


def test_each_spec_is_served_as_written_with_the_mock_first_in_servers() -> None:
    for api in APIS:
        json_url = DOCS[api.name][1]
        as_json = json.loads(PAGES[json_url].body)
        as_yaml = yaml.safe_load(PAGES[json_url.removesuffix(".json") + ".yaml"].body)
        assert as_json == as_yaml
        assert as_json["servers"] == [
            {"url": api.base_path or "/", "description": "this mock (jobs-mock)"},
            *api.document["servers"],
        ]
        assert {key: value for key, value in as_json.items() if key != "servers"} == {
            key: value for key, value in api.document.items() if key != "servers"
        }  # named schemas and their $refs intact, nothing inlined
        assert PAGES[json_url].headers == [(b"content-type", b"application/json")]


def test_the_setup_names_a_shared_database_without_its_password() -> None:
    settings = Settings(mode="stateful", state_url="postgresql://mock:s3cret@db.internal:5432/jobs")
    facts = setup_facts(settings)
    assert facts["state"] == "postgresql://mock:***@db.internal:5432/jobs"
    assert "s3cret" not in json.dumps(facts)
