"""WHATWG Streams (and the Workers byte streams, encoding streams, bodies as streams)."""

from bench.conformance import Case, load_cases

NAME = "streams"


def cases() -> list[Case]:
    return load_cases("runtime/webapi/test_streams.py")
