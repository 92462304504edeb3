"""Insert debugger probes into TypeScript/JavaScript sources (debug builds only).

Every statement gets a probe on its own line, just before it, so line numbers
survive and the bundle's source map still points at the right line::

    if($__dB[7])try{$__dP(7,this,[a,b])}catch($__x){$__dQ(7,$__x)}const c = a + b;

``$__dB`` is a Uint8Array over the shared debug memory: while its byte for the
probe is zero the probe is one typed-array load and a branch. When Python sets
it (breakpoint, step, pause request), ``$__dP`` receives ``this`` and the
values of the variables in scope (names are in the probe table, not the
code), so evaluating in the paused frame needs no closure and no ``eval`` in
user code -- V8 keeps optimising the function. Module-level bindings are
registered once per file as lazy getters (``$__dM``), which stay TDZ-safe.

Function bodies are wrapped in ``try{...}catch($__e){$__dX(...);throw $__e}``
(zero cost until something throws) so an exception is seen in the innermost
frame it leaves, with that frame's parameters and ``var`` s. User ``catch``
clauses get a probe for "break on caught exceptions". Expression-bodied arrows
become ``{try{<probe> return <expr>}catch...}`` so callbacks such as
``array.map(x => ...)`` can be stepped into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from debugger import scopes
from debugger.scopes import FUNCTION_TYPES, LEXICAL_KINDS, Scope

ProbeKind = Literal["stmt", "catch", "exit"]

_TS = Language(tree_sitter_typescript.language_typescript())
_TSX = Language(tree_sitter_typescript.language_tsx())

STATEMENT_TYPES = frozenset({
    "expression_statement", "lexical_declaration", "variable_declaration", "return_statement", "if_statement",
    "for_statement", "for_in_statement", "while_statement", "do_statement", "throw_statement", "try_statement",
    "switch_statement", "break_statement", "continue_statement", "labeled_statement", "debugger_statement",
    "export_statement",
})
"""Statements that get a probe."""

_LIST_PARENTS = frozenset({"program", "statement_block", "switch_case", "switch_default"})
_BODY_FIELDS = {"if_statement": ("consequence",), "for_statement": ("body",), "for_in_statement": ("body",),
                "while_statement": ("body",), "do_statement": ("body",), "else_clause": ()}
INSTRUMENTABLE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".jsx")
"""Source files the debug build instruments."""


@dataclass(frozen=True)
class Probe:
    """One probe: where it sits in the original source and what it captures."""

    id: int
    file: str
    """Project-relative path with forward slashes."""
    line: int
    """1-based line of the statement."""
    column: int
    """1-based column (characters) of the statement."""
    function: str
    """Display name of the enclosing function (``<module>`` at top level)."""
    names: tuple[str, ...]
    """Names of the captured values, in the order the probe passes them."""
    locals_count: int
    """The first ``locals_count`` names are the frame's locals; the rest are closure variables."""
    kind: ProbeKind = "stmt"

    def to_json(self) -> list[object]:
        """The compact row the JS agent receives."""
        return [self.file_index, list(self.names), self.locals_count, self.kind]

    file_index: int = 0
    """Index of ``file`` in the build's file list."""


@dataclass(frozen=True)
class FunctionRange:
    """A function's name and original extent (1-based lines/columns, inclusive start)."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class InstrumentedFile:
    """The probed source of one file plus everything needed to map back."""

    path: str
    source: str
    probes: tuple[Probe, ...]
    functions: tuple[FunctionRange, ...]
    module_names: tuple[str, ...]
    insertions: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    """line -> ((original column, inserted length), ...) in order, 1-based columns."""

    def original_column(self, line: int, column: int) -> int:
        """Map a 1-based column of the instrumented text back to the original line."""
        shift = 0
        for col, length in self.insertions.get(line, ()):
            if column < col + shift:
                break
            if column < col + shift + length:
                return col
            shift += length
        return column - shift

    def function_at(self, line: int, column: int) -> str:
        """The innermost function containing an original position."""
        best: FunctionRange | None = None
        for fn in self.functions:
            if fn.start <= (line, column) <= fn.end and (best is None or fn.start >= best.start):
                best = fn
        return best.name if best else "<module>"

    def statement_lines(self) -> list[int]:
        """Lines holding at least one statement probe, ascending."""
        return sorted({p.line for p in self.probes if p.kind == "stmt"})


@dataclass
class _Fn:
    node: Node | None
    name: str
    scope_index: int
    this_ok: bool
    super_end: int = -1


class _Instrumenter:
    def __init__(self, source: str, path: str, first_id: int, file_index: int) -> None:
        self.src = source.encode("utf-8")
        self.path = path
        self.next_id = first_id
        self.file_index = file_index
        self.edits: list[tuple[int, int, str]] = []
        self.probes: list[Probe] = []
        self.functions: list[FunctionRange] = []
        self.line_starts = [0]
        for i, byte in enumerate(self.src):
            if byte == 10:
                self.line_starts.append(i + 1)

    # ---- positions -----------------------------------------------------
    def pos(self, byte: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.line_starts, byte) - 1
        col = len(self.src[self.line_starts[line]:byte].decode("utf-8", "replace"))
        return line + 1, col + 1

    def insert(self, byte: int, text: str, *, first: bool = False) -> None:
        self.edits.append((byte, -1 if first else len(self.edits), text))

    # ---- driver --------------------------------------------------------
    def run(self) -> InstrumentedFile:
        parser = Parser(_TSX if self.path.endswith((".tsx", ".jsx")) else _TS)
        root = parser.parse(self.src).root_node
        module = Scope(root, True)
        scopes.declare_imports(module, root)
        scopes.declare_block(module, root)
        scopes.hoist_vars(module, root)
        self.statements(root.named_children, [module], _Fn(None, "<module>", 0, False))
        getters = ",".join(f"{n}:()=>{n}" for n in module.names)
        self.insert(0, f"$__dM({self.file_index},{{{getters}}});", first=True)
        return self.finish(tuple(module.names))

    def finish(self, module_names: tuple[str, ...]) -> InstrumentedFile:
        out: list[bytes] = []
        last = 0
        insertions: dict[int, list[tuple[int, int]]] = {}
        for byte, _seq, text in sorted(self.edits):
            out.append(self.src[last:byte])
            out.append(text.encode("utf-8"))
            last = byte
            line, col = self.pos(byte)
            insertions.setdefault(line, []).append((col, len(text)))
        out.append(self.src[last:])
        return InstrumentedFile(
            self.path, b"".join(out).decode("utf-8"), tuple(self.probes), tuple(self.functions), module_names,
            {k: tuple(v) for k, v in insertions.items()},
        )

    # ---- probes --------------------------------------------------------
    def capture(self, chain: list[Scope], fn: _Fn, at: int, *, exit_only: bool = False) -> tuple[list[str], int]:
        seen: set[str] = set()
        names: list[str] = []
        start = max(fn.scope_index, 1) if fn.node is None else fn.scope_index
        for scope in reversed(chain[start:]):
            for name, (kind, end) in scope.names.items():
                if name in seen or (kind in LEXICAL_KINDS and end > at):
                    continue
                if exit_only and kind not in ("param", "var"):
                    continue
                seen.add(name)
                names.append(name)
        local_count = len(names)
        fn_start = fn.node.start_byte if fn.node is not None else 0
        for scope in reversed(chain[1:fn.scope_index]):
            for name, (kind, end) in scope.names.items():
                if name in seen or (kind in LEXICAL_KINDS and end > fn_start):
                    continue
                seen.add(name)
                names.append(name)
        return names, local_count

    def this_expr(self, fn: _Fn, at: int) -> str:
        return "this" if fn.this_ok and at > fn.super_end else "void 0"

    def probe(self, chain: list[Scope], fn: _Fn, at: int, kind: ProbeKind = "stmt",
              err: str = "") -> tuple[int, str, list[str]]:
        names, local_count = self.capture(chain, fn, at, exit_only=kind == "exit")
        pid = self.next_id
        self.next_id += 1
        line, col = self.pos(at)
        self.probes.append(Probe(pid, self.path, line, col, fn.name, tuple(names), local_count, kind,
                                 self.file_index))
        values = ",".join(names)
        this = self.this_expr(fn, at)
        if kind == "stmt":
            code = f"if($__dB[{pid}])try{{$__dP({pid},{this},[{values}])}}catch($__x){{$__dQ({pid},$__x)}}"
        elif kind == "catch":
            code = (f"if($__dB[0]&2)try{{$__dC({pid},{err},{this},[{values}])}}"
                    f"catch($__x){{$__dC({pid},{err})}}")
        else:
            code = f"}}catch($__e){{try{{$__dX($__e,{pid},{this},[{values}])}}catch($__x){{$__dX($__e,{pid})}}throw $__e}}"
        return pid, code, names

    # ---- walking -------------------------------------------------------
    def statements(self, nodes: list[Node], chain: list[Scope], fn: _Fn) -> None:
        for node in nodes:
            if node.type in ("switch_case", "switch_default"):
                self.statements(node.named_children, chain, fn)
                continue
            if node.type in STATEMENT_TYPES and self.probeable(node):
                self.insert(node.start_byte, self.probe(chain, fn, node.start_byte)[1])
            self.visit(node, chain, fn)

    @staticmethod
    def probeable(node: Node) -> bool:
        if node.type != "export_statement":
            return True
        values = ("lexical_declaration", "variable_declaration")
        if any(c.type in values for c in node.named_children):
            return True
        declared = ("function_declaration", "generator_function_declaration", "class_declaration",
                    "abstract_class_declaration", "interface_declaration", "type_alias_declaration",
                    "enum_declaration", "ambient_declaration", "export_clause", "string", "namespace_export")
        return scopes.text(node).startswith("export default") and \
            not any(c.type in declared for c in node.named_children)

    def visit(self, node: Node, chain: list[Scope], fn: _Fn) -> None:
        kind = node.type
        if kind in FUNCTION_TYPES:
            self.function(node, chain, fn)
            return
        if kind in ("interface_declaration", "type_alias_declaration", "ambient_declaration", "enum_declaration",
                    "import_statement", "abstract_method_signature", "method_signature"):
            return
        if kind == "class_static_block":
            body = node.child_by_field_name("body")
            if body is not None:
                self.block(body, chain, _Fn(node, f"{self.class_name(node)}.<static>", len(chain), True))
            return
        if kind == "statement_block":
            self.block(node, chain, fn)
            return
        if kind in ("for_statement", "for_in_statement"):
            scope = Scope(node, False)
            scopes.declare_loop(scope, node)
            chain = [*chain, scope]
        if kind == "catch_clause":
            self.catch(node, chain, fn)
            return
        if kind == "switch_body":
            scope = Scope(node, False)
            scopes.declare_block(scope, node)
            self.statements(node.named_children, [*chain, scope], fn)
            return
        wrap = self.wrapped_bodies(node)
        for child in node.named_children:
            if child.id in wrap:
                self.insert(child.start_byte, "{" + self.probe(chain, fn, child.start_byte)[1])
                self.visit(child, chain, fn)
                self.insert(child.end_byte, "}")
            else:
                self.visit(child, chain, fn)

    @staticmethod
    def wrapped_bodies(node: Node) -> set[int]:
        if node.type == "else_clause":
            return {c.id for c in node.named_children if c.type in STATEMENT_TYPES}
        out: set[int] = set()
        for name in _BODY_FIELDS.get(node.type, ()):
            body = node.child_by_field_name(name)
            if body is not None and body.type in STATEMENT_TYPES:
                out.add(body.id)
        return out

    def block(self, node: Node, chain: list[Scope], fn: _Fn) -> None:
        scope = Scope(node, False)
        scopes.declare_block(scope, node)
        self.statements(node.named_children, [*chain, scope], fn)

    def catch(self, node: Node, chain: list[Scope], fn: _Fn) -> None:
        scope = Scope(node, False)
        param = node.child_by_field_name("parameter")
        if param is None:
            self.insert(node.start_byte + len("catch"), "($__c)")
            err = "$__c"
        else:
            names = scopes.pattern_names(param)
            for name in names:
                scope.add(name, "param", 0)
            err = scopes.text(param) if param.type == "identifier" else "void 0"
        body = node.child_by_field_name("body")
        if body is None:
            return
        chain = [*chain, scope]
        self.insert(body.start_byte + 1, self.probe(chain, fn, body.start_byte + 1, "catch", err)[1])
        self.block(body, chain, fn)

    def function(self, node: Node, chain: list[Scope], outer: _Fn) -> None:
        scope = Scope(node, True)
        scopes.declare_params(scope, node)
        body = node.child_by_field_name("body")
        name = self.function_name(node)
        start, end = self.pos(node.start_byte), self.pos(node.end_byte)
        self.functions.append(FunctionRange(name, start, end))
        is_arrow = node.type == "arrow_function"
        fn = _Fn(node, name, len(chain), outer.this_ok if is_arrow else True, self.super_end(node))
        if body is None:
            return
        chain = [*chain, scope]
        if body.type == "statement_block":
            scopes.hoist_vars(scope, body)
            scopes.declare_block(scope, body)
            self.insert(body.start_byte + 1, "try{")
            self.statements(body.named_children, chain, fn)
            self.insert(body.end_byte - 1, self.probe(chain, fn, node.start_byte, "exit")[1])
            return
        probe = self.probe(chain, fn, body.start_byte)[1]
        self.insert(body.start_byte, "{try{" + probe + "return ")
        self.visit(body, chain, fn)
        self.insert(body.end_byte, self.probe(chain, fn, node.start_byte, "exit")[1] + "}")

    def super_end(self, node: Node) -> int:
        if node.type != "method_definition" or scopes.text(node.child_by_field_name("name") or node) != "constructor":
            return -1
        cls = node.parent.parent if node.parent is not None else None
        if cls is None or not any(c.type == "class_heritage" for c in cls.named_children):
            return -1
        body = node.child_by_field_name("body")
        for stmt in body.named_children if body is not None else []:
            if scopes.text(stmt).startswith("super("):
                return stmt.end_byte
        return 1 << 62

    def class_name(self, node: Node) -> str:
        cur = node.parent
        while cur is not None and cur.type not in ("class_declaration", "class", "abstract_class_declaration"):
            cur = cur.parent
        name = cur.child_by_field_name("name") if cur is not None else None
        return scopes.text(name) if name is not None else "<class>"

    def function_name(self, node: Node) -> str:
        name = node.child_by_field_name("name")
        parent = node.parent
        if node.type == "method_definition" and name is not None:
            if parent is not None and parent.type == "class_body":
                return f"{self.class_name(node)}.{scopes.text(name)}"
            return scopes.text(name)
        if name is not None:
            return scopes.text(name)
        if parent is None:
            return "<anonymous>"
        if parent.type == "variable_declarator":
            target = parent.child_by_field_name("name")
        elif parent.type == "pair":
            target = parent.child_by_field_name("key")
        elif parent.type == "assignment_expression":
            target = parent.child_by_field_name("left")
        elif parent.type == "public_field_definition":
            target = parent.child_by_field_name("name")
            return f"{self.class_name(node)}.{scopes.text(target)}" if target is not None else "<anonymous>"
        else:
            return "<anonymous>"
        return scopes.text(target) if target is not None else "<anonymous>"


def instrument(source: str, path: str, *, first_id: int = 1, file_index: int = 0) -> InstrumentedFile:
    """Probe every statement of one file; probe ids start at ``first_id``."""
    return _Instrumenter(source, path, first_id, file_index).run()
