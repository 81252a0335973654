"""Order-independent routing of URL paths to spec path items, by werkzeug's rule matcher.

werkzeug ranks rules by how specific they are (static parts beat converters, `{jobId}:retry` beats
`{jobId}`), so the order of paths in a spec never changes which operation answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from mock_server.spec import Api, Operation

MATCH_CACHE_SIZE = 4096
_TEMPLATE_PARAMETER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class PathItem:
    api: Api
    template: str
    methods: dict[str, Operation]
    allow: str  # the `Allow` header value: exactly the spec's methods for this path
    parameter_names: dict[str, str]  # werkzeug-safe name -> spec name


@dataclass(frozen=True)
class Match:
    item: PathItem
    path_params: dict[str, str]


class Router:
    def __init__(self, apis: list[Api]) -> None:
        self.items: dict[str, PathItem] = {}
        rules: list[Rule] = []
        for api in apis:
            for template, methods in api.path_items.items():
                if template in self.items:
                    raise ValueError(
                        f"path {template} is served by both {self.items[template].api.name} and {api.name}"
                    )
                names: dict[str, str] = {}

                def to_rule_part(found: re.Match[str], names: dict[str, str] = names) -> str:
                    safe = f"p{len(names)}"
                    names[safe] = found.group(1)
                    return f"<{safe}>"

                rule = _TEMPLATE_PARAMETER.sub(to_rule_part, template.replace("<", "%3C").replace(">", "%3E"))
                self.items[template] = PathItem(api, template, methods, ", ".join(methods), names)
                rules.append(Rule(rule or "/", endpoint=template))
        self._adapter = Map(rules, strict_slashes=False, merge_slashes=False).bind("mock")
        # Clients ask for the same few URLs again and again; matches are immutable, so they are cached.
        self._cached_match = lru_cache(maxsize=MATCH_CACHE_SIZE)(self._match)

    def match(self, raw_path: str) -> Match | None:
        """Match the path as sent (percent-encoded), so an encoded `/` or `:` stays inside its segment."""
        return self._cached_match(raw_path)

    def _match(self, raw_path: str) -> Match | None:
        try:
            template, arguments = self._adapter.match(raw_path, method="GET")
        except HTTPException:  # NotFound, or a redirect werkzeug would suggest: both are "no such path"
            return None
        item = self.items[template]
        return Match(item, {item.parameter_names[name]: unquote(value) for name, value in arguments.items()})


def api_for_path(apis: list[Api], path: str) -> Api:
    """The API whose URL namespace holds `path` (longest first), for errors outside any operation."""
    owners = [api for api in apis if path == api.namespace or path.startswith(api.namespace.rstrip("/") + "/")]
    return max(owners, key=lambda api: len(api.namespace), default=apis[0])
