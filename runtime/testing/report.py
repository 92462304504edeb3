"""Reporters for ``isoplay test``: default (terminal), json, junit (XML), tap.

A reporter follows the run's events (``on_event``) and prints the end with
``finish(result)``. Only the default reporter prints while the run goes; the
others print one document at the end, so their output can be piped.
"""

from __future__ import annotations

import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from typing import IO, Protocol

from runtime.testing.models import (
    Event, FileFinished, FileResult, RunResult, TestError, TestResult, strip_ansi,
)

REPORTERS = ("default", "json", "junit", "tap")


class Reporter(Protocol):
    """What the command drives."""

    def on_event(self, event: Event) -> None:
        """A run event."""

    def finish(self, result: RunResult) -> None:
        """The run ended."""


def use_color(stream: IO[str]) -> bool:
    """Colour when writing to a terminal, unless NO_COLOR is set (FORCE_COLOR forces it)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text

    def keep(self, text: str | None) -> str:
        """Text that may carry ANSI codes already (diffs): kept or stripped."""
        return (text or "") if self.on else (strip_ansi(text) or "")


ICONS = {"pass": ("32", "✓"), "fail": ("31", "✗"), "skip": ("33", "↓"), "todo": ("35", "□")}


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 1 else f"{value:.1f} ms"


class DefaultReporter:
    """One line per file as it ends (failing tests listed under it), then each failure in full
    (message, expected/actual diff, the TypeScript line with a caret), then counts and time."""

    def __init__(self, stream: IO[str] | None = None, *, verbose: bool = False) -> None:
        self.out = stream or sys.stdout
        self.paint = _Paint(use_color(self.out))
        self.verbose = verbose
        self.started = time.perf_counter()

    def on_event(self, event: Event) -> None:
        if isinstance(event, FileFinished):
            self._file_line(event.result)

    def _file_line(self, f: FileResult) -> None:
        p = self.paint
        failed = sum(t.status == "fail" for t in f.tests)
        skipped = sum(t.status in ("skip", "todo") for t in f.tests)
        parts = [f"{len(f.tests)} test{'s' if len(f.tests) != 1 else ''}"]
        if failed:
            parts.append(p("31", f"{failed} failed"))
        if skipped:
            parts.append(p("33", f"{skipped} skipped"))
        icon = p("32", "✓") if f.ok else p("31", "✗")
        print(f" {icon} {f.file} ({' | '.join(parts)}) {p('2', _ms(f.duration_ms))}", file=self.out)
        for t in f.tests:
            if t.status == "fail" or self.verbose:
                code, mark = ICONS[t.status]
                extra = f" [{t.limit}]" if t.limit else ""
                print(f"   {p(code, mark)} {t.case.full_name}{extra} {p('2', _ms(t.duration_ms))}", file=self.out)
        for err in f.errors:
            print(f"   {p('31', '✗')} {p('31', err.summary())}", file=self.out)

    def finish(self, result: RunResult) -> None:
        p = self.paint
        failures = [(f.file, t) for f in result.files for t in f.tests if t.status == "fail"]
        file_errors = [(f.file, e) for f in result.files for e in f.errors]
        if failures or file_errors:
            total = len(failures) + len(file_errors)
            print("\n" + p("31", f"⎯⎯⎯⎯⎯⎯ Failed Tests {total} ⎯⎯⎯⎯⎯⎯"), file=self.out)
        for file, err in file_errors:
            print(f"\n {p('41;97', ' FAIL ')} {file}", file=self.out)
            self._error(err)
        for file, t in failures:
            print(f"\n {p('41;97', ' FAIL ')} {file} > {t.case.full_name}", file=self.out)
            for err in t.errors:
                self._error(err)
            for log in t.logs:
                print(p("2", f"   [{log.level}] {log.message}"), file=self.out)
        self._summary(result)

    def _error(self, err: TestError) -> None:
        p = self.paint
        print(p("31", err.summary()), file=self.out)
        if err.diff:
            print("\n" + "\n".join("  " + line for line in p.keep(err.diff).splitlines()), file=self.out)
        if err.at is not None:
            print(f"\n {p('36', '❯')} {err.at.file}:{err.at.line}:{err.at.column}", file=self.out)
            print(format_excerpt(err, p), file=self.out)
        elif err.stack:
            print(p("2", err.stack), file=self.out)

    def _summary(self, result: RunResult) -> None:
        p = self.paint
        counts = result.counts()
        files_failed = sum(not f.ok for f in result.files)
        files_passed = len(result.files) - files_failed
        file_parts = ([p("31", f"{files_failed} failed")] if files_failed else []) + [p("32", f"{files_passed} passed")]
        test_parts = []
        for key, code, word in (("fail", "31", "failed"), ("pass", "32", "passed"), ("skip", "33", "skipped"),
                                ("todo", "35", "todo")):
            if counts.get(key):
                test_parts.append(p(code, f"{counts[key]} {word}"))
        total = sum(counts.values())
        print(file=self.out)
        print(f" Test Files  {' | '.join(file_parts)} ({len(result.files)})", file=self.out)
        print(f"      Tests  {' | '.join(test_parts) or 'none'} ({total})", file=self.out)
        snaps = result.snapshot_summary()
        if not snaps.empty:
            parts = [p(code, f"{n} {word}") for n, code, word in (
                (snaps.failed, "31", "failed"), (snaps.written, "32", "written"), (snaps.updated, "32", "updated"),
                (len(snaps.obsolete), "33", "obsolete"), (snaps.removed, "33", "removed")) if n]
            print(f"  Snapshots  {' | '.join(parts)}", file=self.out)
            if snaps.obsolete:
                print(p("33", "             obsolete entries (isoplay test -u removes them):"), file=self.out)
                for entry in snaps.obsolete:
                    print(p("2", f"               {entry}"), file=self.out)
        print(f"   Duration  {result.duration_ms / 1000:.2f} s", file=self.out)


def format_excerpt(err: TestError, paint: _Paint | None = None) -> str:
    """The lines around the failure with a caret under its column, as vitest prints them."""
    p = paint or _Paint(False)
    if err.at is None or not err.context:
        return ""
    width = len(str(err.context[-1][0]))
    out = []
    for number, text in err.context:
        out.append(p("2", f"    {number:>{width}}| ") + text)
        if number == err.at.line:
            out.append(p("2", f"    {'':>{width}}| ") + " " * (max(err.at.column, 1) - 1) + p("31", "^"))
    return "\n".join(out)


class JsonReporter:
    """One JSON document (``RunResult.to_json()``) at the end."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.out = stream or sys.stdout

    def on_event(self, event: Event) -> None:
        """Nothing while the run goes."""

    def finish(self, result: RunResult) -> None:
        print(json.dumps(result.to_json(), indent=2), file=self.out)


def junit_xml(result: RunResult) -> str:
    """The run as JUnit XML (one testsuite per file; file-level errors as an <error> case)."""
    counts = result.counts()
    root = ET.Element("testsuites", name="isoplay test", tests=str(sum(counts.values())),
                      failures=str(counts.get("fail", 0)), errors=str(sum(len(f.errors) for f in result.files)),
                      skipped=str(counts.get("skip", 0) + counts.get("todo", 0)), time=f"{result.duration_ms / 1000:.3f}")
    for f in result.files:
        suite = ET.SubElement(root, "testsuite", name=f.file, tests=str(len(f.tests)),
                              failures=str(sum(t.status == "fail" for t in f.tests)), errors=str(len(f.errors)),
                              skipped=str(sum(t.status in ("skip", "todo") for t in f.tests)),
                              time=f"{f.duration_ms / 1000:.3f}")
        for t in f.tests:
            case = ET.SubElement(suite, "testcase", classname=f.file, name=t.case.full_name,
                                 time=f"{t.duration_ms / 1000:.3f}", file=f.file, line=str(t.case.line))
            if t.status == "fail":
                first = t.errors[0] if t.errors else TestError("Error", "failed")
                node = ET.SubElement(case, "failure", message=first.message, type=first.name)
                node.text = "\n\n".join(_plain(e) for e in t.errors)
            elif t.status in ("skip", "todo"):
                ET.SubElement(case, "skipped", message=t.status)
            if t.logs:
                ET.SubElement(case, "system-out").text = "\n".join(f"[{log.level}] {log.message}" for log in t.logs)
        for err in f.errors:
            case = ET.SubElement(suite, "testcase", classname=f.file, name="(file)", time="0")
            node = ET.SubElement(case, "error", message=err.message, type=err.name)
            node.text = _plain(err)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _plain(err: TestError) -> str:
    parts = [err.summary()]
    if err.diff:
        parts.append(strip_ansi(err.diff) or "")
    if err.at is not None:
        parts.append(f"at {err.at.file}:{err.at.line}:{err.at.column}")
        parts.append(format_excerpt(err))
    elif err.stack:
        parts.append(err.stack)
    return "\n".join(p for p in parts if p)


class JunitReporter(JsonReporter):
    """JUnit XML at the end."""

    def finish(self, result: RunResult) -> None:
        self.out.write(junit_xml(result))


class TapReporter(JsonReporter):
    """TAP version 13 at the end."""

    def finish(self, result: RunResult) -> None:
        tests = [t for f in result.files for t in f.tests]
        errors = [(f.file, e) for f in result.files for e in f.errors]
        lines = ["TAP version 13", f"1..{len(tests) + len(errors)}"]
        n = 0
        for t in tests:
            n += 1
            lines.append(_tap_line(n, t))
            if t.status == "fail":
                lines.extend(_tap_yaml(t.errors))
        for file, err in errors:
            n += 1
            lines.append(f"not ok {n} - {file} (file)")
            lines.extend(_tap_yaml((err,)))
        self.out.write("\n".join(lines) + "\n")


def _tap_line(n: int, t: TestResult) -> str:
    name = f"{t.case.file} > {t.case.full_name}".replace("#", "\\#")
    if t.status == "skip":
        return f"ok {n} - {name} # SKIP"
    if t.status == "todo":
        return f"not ok {n} - {name} # TODO"
    return f"{'ok' if t.status == 'pass' else 'not ok'} {n} - {name}"


def _tap_yaml(errors: tuple[TestError, ...]) -> list[str]:
    out = ["  ---"]
    for err in errors:
        out.append(f"  message: {json.dumps(err.summary())}")
        if err.at is not None:
            out.append(f"  at: {json.dumps(f'{err.at.file}:{err.at.line}:{err.at.column}')}")
        if err.diff:
            out.append("  diff: |")
            out.extend("    " + line for line in (strip_ansi(err.diff) or "").splitlines())
    out.append("  ...")
    return out


def make_reporter(name: str, stream: IO[str] | None = None, *, verbose: bool = False) -> Reporter:
    """The reporter called ``name``."""
    if name == "json":
        return JsonReporter(stream)
    if name == "junit":
        return JunitReporter(stream)
    if name == "tap":
        return TapReporter(stream)
    return DefaultReporter(stream, verbose=verbose)
