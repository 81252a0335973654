"""Query parameters that carry an expression in a language of their own, named by `x-filter-language`.

JSON Schema can say such a parameter is a string, not that the string parses; the validation step asks the
language's own parser, the one stateful mode evaluates the filter with, so both modes refuse the same input.
"""

from __future__ import annotations

from typing import Protocol

from mock_server.extensions import chosen


class FilterLanguage(Protocol):
    def problem(self, source: str, parameter: str) -> str | None:
        """Why `source` is not an expression of the language (None when it is one), naming `parameter`."""


class Cel:
    """Common Expression Language, compiled by the same cel-python program stateful mode runs."""

    def problem(self, source: str, parameter: str) -> str | None:
        # Imported here: the state package imports the responder, which imports the spec, which imports this.
        from mock_server.state.cel_filter import FilterError, parse_filter

        if not source.strip():
            return None  # an empty filter filters nothing, as proto3 reads an unset string
        try:
            parse_filter(source, parameter)
        except FilterError as error:
            return error.message
        return None


FILTER_LANGUAGES: dict[str, FilterLanguage] = {"cel": Cel()}


def filter_language(name: str) -> FilterLanguage:
    return chosen("x-filter-language", name, FILTER_LANGUAGES)
