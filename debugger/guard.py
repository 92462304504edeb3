"""Bound the time an evaluated expression may run: loop and function guards.

An expression typed at the evaluate prompt (or a breakpoint condition) runs in
the paused isolate, where the watchdog cannot stop it without killing the
invocation. So before it is sent, every loop body and function body in it gets
a call to ``$__dT()``, which throws once the evaluation's deadline has passed;
user functions it calls are instrumented already and check the same deadline.
"""

from __future__ import annotations

import json

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from debugger.scopes import FUNCTION_TYPES

_LANG = Language(tree_sitter_typescript.language_typescript())
_LOOPS = ("for_statement", "for_in_statement", "while_statement", "do_statement")
TICK = "$__dT();"


AWAIT = "$__dW"
"""The agent's stand-in for a top-level ``await`` while paused (see ``top_level_await``)."""


def top_level_await(expression: str) -> str:
    """``expression`` with each ``await X`` outside any function turned into ``$__dW(X)``.

    A paused script runs no promise jobs, so a top-level ``await`` typed in the Debug Console cannot
    wait: ``$__dW`` gives a settled promise's value (or throws its reason) at once, and for one still
    pending says so and prints that await's value (labelled with its text) when the script runs on and it
    settles. Awaits inside functions stay as typed.
    """
    src = expression.encode("utf-8")
    root = Parser(_LANG).parse(src).root_node
    spans: list[tuple[int, int, int]] = []
    _awaits(root, spans)
    if not spans:
        return expression
    edits: list[tuple[int, int, bytes]] = []
    for start, operand, end in spans:
        label = json.dumps(src[start:end].decode("utf-8", "replace")[:120]).encode("utf-8")
        edits.append((start, operand, AWAIT.encode() + b"("))
        edits.append((end, end, b"," + label + b")"))
    out: list[bytes] = []
    last = 0
    for a, b, text in sorted(edits, key=lambda e: (e[0], -e[1])):
        out += [src[last:a], text]
        last = b
    out.append(src[last:])
    return b"".join(out).decode("utf-8")


def _awaits(node: Node, spans: list[tuple[int, int, int]]) -> None:
    if node.type in FUNCTION_TYPES:
        return
    if node.type == "await_expression" and node.named_child_count:
        operand = node.named_children[0]
        spans.append((node.start_byte, operand.start_byte, node.end_byte))
    for child in node.children:
        _awaits(child, spans)


def guard(expression: str) -> str:
    """``expression`` with a deadline check at the top of every loop and function body (and its top-level
    ``await``s handled as ``top_level_await`` says)."""
    expression = top_level_await(expression)
    src = expression.encode("utf-8")
    root = Parser(_LANG).parse(src).root_node
    edits: list[tuple[int, str]] = []
    _collect(root, edits)
    if not edits:
        return expression
    out: list[bytes] = []
    last = 0
    for at, text in sorted(edits, key=lambda e: e[0]):
        out += [src[last:at], text.encode("utf-8")]
        last = at
    out.append(src[last:])
    return b"".join(out).decode("utf-8")


def _collect(node: Node, edits: list[tuple[int, str]]) -> None:
    body = node.child_by_field_name("body")
    if body is not None and (node.type in _LOOPS or node.type in FUNCTION_TYPES):
        if body.type == "statement_block":
            edits.append((body.start_byte + 1, TICK))
        elif node.type in _LOOPS:
            edits.append((body.start_byte, "{" + TICK))
            edits.append((body.end_byte, "}"))
        else:
            edits.append((body.start_byte, "($__dT(),"))
            edits.append((body.end_byte, ")"))
    for child in node.children:
        _collect(child, edits)
