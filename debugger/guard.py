"""Bound the time an evaluated expression may run: loop and function guards.

An expression typed at the evaluate prompt (or a breakpoint condition) runs in
the paused isolate, where the watchdog cannot stop it without killing the
invocation. So before it is sent, every loop body and function body in it gets
a call to ``$__dT()``, which throws once the evaluation's deadline has passed;
user functions it calls are instrumented already and check the same deadline.
"""

from __future__ import annotations

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from debugger.scopes import FUNCTION_TYPES

_LANG = Language(tree_sitter_typescript.language_typescript())
_LOOPS = ("for_statement", "for_in_statement", "while_statement", "do_statement")
TICK = "$__dT();"


def guard(expression: str) -> str:
    """``expression`` with a deadline check at the top of every loop and function body."""
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
