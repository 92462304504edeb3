"""Blob, File, FormData and multipart/form-data (File API, XHR FormData)."""

from bench.conformance import Case, load_cases

NAME = "blob-formdata"


def cases() -> list[Case]:
    return load_cases("runtime/webapi/test_blob_formdata.py")
