"""``isoplay r2 object get|put|delete|list``: a project's local R2 buckets, as ``wrangler r2 object ... --local``.

    isoplay r2 object put uploads/logo.png --file logo.png --content-type image/png
    isoplay r2 object get uploads/logo.png --file copy.png      (or --pipe: the bytes to stdout)
    isoplay r2 object list uploads --prefix img/
    isoplay r2 object delete uploads/logo.png

BUCKET is an ``[[r2_buckets]]`` binding or ``bucket_name``; the objects are the ones scripts see under
``isoplay dev``, ``run`` and the IDE (``.isoplay/r2.sqlite3``).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from pathlib import Path
from typing import Any

from app.commands._env import add_env_argument, show_config_warnings
from runtime.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``r2`` command."""
    p = sub.add_parser("r2", help="put, get, list and delete objects of a project's local R2 buckets")
    kinds = p.add_subparsers(dest="kind", metavar="object", required=True)
    obj = kinds.add_parser("object", help="objects of a bucket")
    actions = obj.add_subparsers(dest="action", metavar="get|put|delete|list", required=True)

    def common(q: argparse.ArgumentParser, what: str) -> None:
        q.add_argument("path", metavar=what)
        q.add_argument("--dir", type=Path, default=Path("."), help="the project folder (default: .)")
        q.add_argument("--local", action="store_true", help="accepted for wrangler's sake: the buckets are local")
        add_env_argument(q)

    put = actions.add_parser("put", help="store a file (or stdin with --pipe) as an object")
    common(put, "BUCKET/KEY")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", "-f", type=Path, help="the file to upload")
    source.add_argument("--pipe", "-p", action="store_true", help="read the object from stdin")
    put.add_argument("--content-type", "--ct", dest="content_type", help="default: guessed from the key")
    put.add_argument("--cache-control", "--cc", dest="cache_control")
    put.add_argument("--content-disposition", "--cd", dest="content_disposition")
    put.add_argument("--custom-metadata", dest="custom_metadata", metavar="JSON", help='e.g. \'{"owner": "ada"}\'')
    get = actions.add_parser("get", help="write an object to a file (or stdout with --pipe)")
    common(get, "BUCKET/KEY")
    target = get.add_mutually_exclusive_group()
    target.add_argument("--file", "-f", type=Path, help="where to write it (default: the key's last part)")
    target.add_argument("--pipe", "-p", action="store_true", help="write the object to stdout")
    delete = actions.add_parser("delete", help="delete an object")
    common(delete, "BUCKET/KEY")
    listing = actions.add_parser("list", help="list objects (key, size, uploaded, content type)")
    common(listing, "BUCKET")
    listing.add_argument("--prefix", default="")
    listing.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def _bucket(directory: Path, path: str, *, with_key: bool) -> tuple[Any, str, str]:
    """(the store's bucket, bucket name as written, key)."""
    from runtime.project import Project
    from runtime.r2.store import R2Store

    name, _, key = path.partition("/")
    if with_key and not key:
        raise UserError(f"{path!r}: give the object as BUCKET/KEY")
    project = Project.open(directory)
    manifest = project.manifest()
    for binding in manifest.r2_buckets:
        if name in (binding.binding, binding.bucket_name):
            store = R2Store(project.r2_path, {binding.binding: binding.bucket_name})
            return store.bucket(binding.binding), name, key
    known = ", ".join(f"{b.binding} ({b.bucket_name})" for b in manifest.r2_buckets) or "none"
    raise UserError(f"{manifest.source} has no R2 bucket {name!r} (r2_buckets: {known})")


def run(args: argparse.Namespace) -> int:
    from runtime.r2.store import R2Error

    show_config_warnings(args.dir)
    bucket, name, key = _bucket(args.dir, args.path, with_key=args.action != "list")
    try:
        return {"put": _put, "get": _get, "delete": _delete, "list": _list}[args.action](args, bucket, name, key)
    except R2Error as exc:
        raise UserError(str(exc)) from None
    finally:
        bucket.store.close()


def _put(args: argparse.Namespace, bucket: Any, name: str, key: str) -> int:
    try:
        body = sys.stdin.buffer.read() if args.pipe else args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"{args.file}: cannot read it ({exc.strerror or exc})") from None
    http = {"contentType": args.content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"}
    if args.cache_control:
        http["cacheControl"] = args.cache_control
    if args.content_disposition:
        http["contentDisposition"] = args.content_disposition
    custom: dict[str, str] = {}
    if args.custom_metadata:
        try:
            custom = json.loads(args.custom_metadata)
        except json.JSONDecodeError as exc:
            raise UserError(f"--custom-metadata: not valid JSON ({exc.msg})") from None
        if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
            raise UserError("--custom-metadata must be a JSON object of strings")
    info = bucket.put(key, body, http_metadata=http, custom_metadata=custom)
    print(f"✓ put {name}/{key} ({info.size} bytes, {http['contentType']}, etag {info.etag})")
    return 0


def _get(args: argparse.Namespace, bucket: Any, name: str, key: str) -> int:
    found = bucket.get(key)
    if found is None:
        raise UserError(f"{name}/{key}: no such object")
    _info, body, _range = found
    if args.pipe:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return 0
    target = args.file or Path(key.rsplit("/", 1)[-1])
    target.write_bytes(body)
    print(f"✓ wrote {name}/{key} to {target} ({len(body)} bytes)")
    return 0


def _delete(args: argparse.Namespace, bucket: Any, name: str, key: str) -> int:
    if bucket.head(key) is None:
        raise UserError(f"{name}/{key}: no such object")
    bucket.delete([key])
    print(f"✓ deleted {name}/{key}")
    return 0


def _list(args: argparse.Namespace, bucket: Any, name: str, _key: str) -> int:
    import time

    objects: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = bucket.list(prefix=args.prefix, cursor=cursor)
        objects += page["objects"]
        if not page["truncated"]:
            break
        cursor = page["cursor"]
    if args.json:
        print(json.dumps(objects, indent=2))
        return 0
    for o in objects:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(o["uploaded"] / 1000))
        print(f"{o['size']:>10}  {when}  {o['httpMetadata'].get('contentType', '-'):<24}  {o['key']}")
    print(f"{len(objects)} object(s) in {name}" + (f" under {args.prefix!r}" if args.prefix else ""), file=sys.stderr)
    return 0
