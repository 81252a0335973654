"""The fixed pages the mock serves besides the APIs: `GET /` and each spec as JSON and YAML, built once.

Connexion's own spec endpoint inlines every `$ref` and does it again on each request (1.6 MB and about
0.1 s for Flatfile's JSON, 4.4 MB and 2.6 s for the YAML, with the event loop blocked meanwhile). Here the
spec goes out as written, its named schemas intact, with `servers` pointing first at this mock so Swagger
UI's "Try it out" calls it.
"""

from __future__ import annotations

from typing import Any

import yaml

from mock_server.spec import Api
from mock_server.wire import JSON_HEADER, Reply, dumps

Pages = dict[str, Reply]


def served_document(api: Api) -> dict[str, Any]:
    mock = {"url": api.base_path or "/", "description": "this mock (jobs-mock)"}
    return {**api.document, "servers": [mock, *api.document.get("servers", ())]}


def spec_pages(api: Api, json_url: str) -> Pages:
    """`json_url` (`…/openapi.json`) and its `.yaml` twin."""
    document = served_document(api)
    as_json = dumps(document)
    as_yaml = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True).encode()
    return {
        json_url: Reply(200, as_json, [JSON_HEADER]),
        json_url.removesuffix(".json") + ".yaml": Reply(200, as_yaml, [(b"content-type", b"application/yaml")]),
    }


def index_page(apis: list[Api], docs: dict[str, tuple[str, str]], setup: dict[str, Any]) -> Reply:
    """`GET /`: how the mock is set up (`mock_server/served_setup.py`), then each API with its docs URLs and
    every operation with its statuses and example names."""
    body = dumps(
        {
            "setup": setup,
            "apis": [
                {
                    "name": api.name,
                    "title": api.title,
                    "version": api.version,
                    "basePath": api.base_path,
                    "swaggerUi": docs[api.name][0],
                    "openapi": docs[api.name][1],
                    "operations": [
                        {
                            "operationId": operation.operation_id,
                            "method": operation.method,
                            "path": operation.url_path,
                            "responses": {
                                str(status): list(response.examples) for status, response in operation.responses.items()
                            },
                        }
                        for operation in api.operations
                    ],
                }
                for api in apis
            ],
        }
    )
    return Reply(200, body, [JSON_HEADER])


def fixed_pages(apis: list[Api], docs: dict[str, tuple[str, str]], setup: dict[str, Any]) -> Pages:
    pages = {"/": index_page(apis, docs, setup)}
    for api in apis:
        pages.update(spec_pages(api, docs[api.name][1]))
    return pages
