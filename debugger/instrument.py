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

A probe that paused writes back the variables an evaluation assigned: ``$__dP``
returns a sparse array of new values and the probe assigns the writable ones
(``0 in $__dr&&(a=$__dr[0])``), still only inside its ``if``.

**Outer frames.** A frame further down a paused stack stopped inside a call,
so its probe never ran. Every function that makes a call (syntactically: a
call, ``new``, ``await``, ``yield``, spread, for-of, JSX) therefore keeps a
shadow record, ``const $__df=$__dF(regionId);try{$__df.a=accessor;...``, linked to its
caller's through ``$__dS.c`` (restored in a ``finally``, around ``await`` by
``$__dY``/``$__dA``, around ``yield`` by ``$__dY``/``$__dG``). The accessor
is an arrow closure ``($__di,$__dw,$__dv)=>{switch($__di){case 0:...}}`` that
reads (or assigns) the variables visible in its scope and ``this``; blocks that
declare names and contain a call add their own (``$__df.b12=...``), created
at the block's start so they always belong to the live block instance. Where
a frame stopped is known from V8's stack, so nothing runs per statement; the
``Region`` table says which accessor covers a position and which names it reads
(``debugger/frames.py``). Functions with no calls keep no record (they stay
as fast as before); their frames -- reachable only through getters or implicit
conversions -- say their variables are not available.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from debugger import scopes
from debugger.scopes import FUNCTION_TYPES, LEXICAL_KINDS, Scope

ProbeKind = Literal["stmt", "catch", "exit"]
WRITABLE_KINDS = frozenset({"let", "var", "param"})
"""Binding kinds an evaluation may assign (and the debugger writes back)."""
RECORD = "$__df"
"""The local holding a function's shadow record."""

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
        mask = "".join("1" if w else "0" for w in self.writable)
        return [self.file_index, list(self.names), self.locals_count, self.kind, mask]

    file_index: int = 0
    """Index of ``file`` in the build's file list."""
    writable: tuple[bool, ...] = ()
    """Per name: whether the probe writes an assignment made while paused back to the variable."""


@dataclass(frozen=True)
class Region:
    """A scope that declares names (or a function): its extent and how an outer frame reads it."""

    id: int
    """Unique in the build; a function's region id is what its shadow records carry."""
    function: int
    """Region id of the function the scope belongs to (its own id for a function; 0 at module level)."""
    start: tuple[int, int]
    end: tuple[int, int]
    """Original 1-based (line, column) extent, end exclusive."""
    names: tuple[tuple[str, str, tuple[int, int]], ...]
    """(name, binding kind, end of its declaration) -- lexical names are in their dead zone before it."""
    is_function: bool = False
    accessor: tuple[str, ...] | None = None
    """Names the accessor created at ``accessor_start`` reads, by switch index; None: no accessor."""
    accessor_key: str = ""
    """Property of the shadow record holding the accessor (``a`` for a function's own)."""
    accessor_start: tuple[int, int] = (0, 0)
    accessor_end: tuple[int, int] = (0, 0)
    this: bool = False
    """The accessor answers ``this`` (index -1)."""

    def contains(self, pos: tuple[int, int]) -> bool:
        """Whether an original position lies inside the region."""
        return self.start <= pos < self.end

    def accessor_covers(self, pos: tuple[int, int]) -> bool:
        """Whether the live accessor of this region's instance is current at ``pos``."""
        return self.accessor is not None and self.accessor_start <= pos < self.accessor_end


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
    regions: tuple[Region, ...] = ()
    """Scopes with names, and every function, in source order."""

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


CALL_TYPES = frozenset({"call_expression", "new_expression", "await_expression", "yield_expression",
                        "spread_element", "jsx_element", "jsx_self_closing_element"})
"""Expressions that may call user code (for-of loops count too): where an outer frame can stop."""


def _has_calls(root: Node) -> set[int]:
    """Ids of the nodes whose subtree calls something, not counting nested functions and class bodies."""
    out: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children)
            continue
        if node.type in CALL_TYPES or (node.type == "for_in_statement" and any(
                c.type == "of" for c in node.children)) or any(
                c.id in out for c in node.children if c.type not in FUNCTION_TYPES and c.type != "class_body"):
            out.add(node.id)
    return out


def accessor_code(names: list[str], kinds: list[str], this_ok: bool) -> str:
    """The arrow closure that reads (``$__dw`` unset) or assigns a scope's variables by index; -1 is ``this``."""
    cases = "".join(
        f"case {i}:" + (f"if($__dw)return {n}=$__dv;" if k in WRITABLE_KINDS else "") + f"return {n};"
        for i, (n, k) in enumerate(zip(names, kinds)))
    return f"($__di,$__dw,$__dv)=>{{switch($__di){{{cases}default:return{' this' if this_ok else ''}}}}}"


@dataclass
class _Fn:
    node: Node | None
    name: str
    scope_index: int
    this_ok: bool
    super_end: int = -1
    region: int = 0
    """Region id of the function (0 at module level and in static blocks)."""
    record: bool = False
    """The function keeps a shadow record (it makes calls)."""
    is_async: bool = False
    is_generator: bool = False


class _Instrumenter:
    def __init__(self, source: str, path: str, first_id: int, file_index: int, first_region: int) -> None:
        self.src = source.encode("utf-8")
        self.path = path
        self.next_id = first_id
        self.next_region = first_region
        self.file_index = file_index
        self.edits: list[tuple[int, int, str]] = []
        self.probes: list[Probe] = []
        self.functions: list[FunctionRange] = []
        self.regions: list[Region] = []
        self.calls: set[int] = set()
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
        self.calls = _has_calls(root)
        module = Scope(root, True)
        scopes.declare_imports(module, root)
        scopes.declare_block(module, root)
        scopes.hoist_vars(module, root)
        self.statements(root.named_children, [module], _Fn(None, "<module>", 0, False))
        getters = ",".join(f"{n}:()=>{n}" for n in module.names)
        setters = ",".join(f"{n}:$__dv=>{n}=$__dv" for n, (k, _e) in module.names.items() if k in WRITABLE_KINDS)
        self.insert(0, f"$__dM({self.file_index},{{{getters}}},{{{setters}}});", first=True)
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
            {k: tuple(v) for k, v in insertions.items()}, tuple(sorted(self.regions, key=lambda r: r.start)),
        )

    # ---- regions and shadow records ---------------------------------------
    def region(self, scope: Scope, chain: list[Scope], fn: _Fn, *, is_function: bool = False,
               accessor_at: Node | None = None, accessor_in: Node | None = None) -> tuple[int, str]:
        """Register ``scope`` (the last of ``chain``) as a region; returns its id and its accessor's code.

        ``accessor_at`` is the block whose start creates the accessor (the function body for a function)
        and ``accessor_in`` the part of the tree whose calls make one worth creating.
        """
        if not scope.names and not is_function:
            return 0, ""
        rid = self.next_region
        self.next_region += 1
        names = tuple((n, kind, self.pos(end)) for n, (kind, end) in scope.names.items())
        fid = rid if is_function else fn.region
        region = Region(rid, fid, self.pos(scope.node.start_byte), self.pos(scope.node.end_byte), names,
                        is_function)
        code = ""
        want = fn.record and accessor_at is not None and (
            is_function or (accessor_in is not None and accessor_in.id in self.calls))
        if want and accessor_at is not None:
            seen: set[str] = set()
            visible: list[str] = []
            kinds: list[str] = []
            for s in reversed(chain[1:]):
                for n, (kind, _end) in s.names.items():
                    if n not in seen:
                        seen.add(n)
                        visible.append(n)
                        kinds.append(kind)
            if visible or fn.this_ok:
                key = "a" if is_function else f"b{rid}"
                code = accessor_code(visible, kinds, fn.this_ok)
                region = dataclasses.replace(
                    region, accessor=tuple(visible), accessor_key=key, this=fn.this_ok,
                    accessor_start=self.pos(accessor_at.start_byte), accessor_end=self.pos(accessor_at.end_byte))
                if not is_function:  # a block instance records only while its region is not hot
                    code = f"if({RECORD}&&$__dH({rid})){RECORD}.{key}={code};"
        self.regions.append(region)
        return rid, code

    # ---- probes --------------------------------------------------------
    def capture(self, chain: list[Scope], fn: _Fn, at: int, *,
                exit_only: bool = False) -> tuple[list[str], list[str], int]:
        seen: set[str] = set()
        names: list[str] = []
        kinds: list[str] = []
        start = max(fn.scope_index, 1) if fn.node is None else fn.scope_index
        for scope in reversed(chain[start:]):
            for name, (kind, end) in scope.names.items():
                if name in seen or (kind in LEXICAL_KINDS and end > at):
                    continue
                if exit_only and kind not in ("param", "var"):
                    continue
                seen.add(name)
                names.append(name)
                kinds.append(kind)
        local_count = len(names)
        fn_start = fn.node.start_byte if fn.node is not None else 0
        for scope in reversed(chain[1:fn.scope_index]):
            for name, (kind, end) in scope.names.items():
                if name in seen or (kind in LEXICAL_KINDS and end > fn_start):
                    continue
                seen.add(name)
                names.append(name)
                kinds.append(kind)
        return names, kinds, local_count

    def this_expr(self, fn: _Fn, at: int) -> str:
        return "this" if fn.this_ok and at > fn.super_end else "void 0"

    def probe(self, chain: list[Scope], fn: _Fn, at: int, kind: ProbeKind = "stmt",
              err: str = "") -> tuple[int, str, list[str]]:
        names, kinds, local_count = self.capture(chain, fn, at, exit_only=kind == "exit")
        writable = tuple(kind != "exit" and k in WRITABLE_KINDS for k in kinds)
        pid = self.next_id
        self.next_id += 1
        line, col = self.pos(at)
        self.probes.append(Probe(pid, self.path, line, col, fn.name, tuple(names), local_count, kind,
                                 self.file_index, writable))
        values = ",".join(names)
        this = self.this_expr(fn, at)
        writes = "".join(f"{i} in $__dr&&({n}=$__dr[{i}]);" for i, n in enumerate(names) if writable[i])
        if kind == "stmt":
            call = f"$__dP({pid},{this},[{values}])"
            body = f"const $__dr={call};if($__dr){{{writes}}}" if writes else call
            code = f"if($__dB[{pid}])try{{{body}}}catch($__x){{$__dQ({pid},$__x)}}"
        elif kind == "catch":
            call = f"$__dC({pid},{err},{this},[{values}])"
            body = f"const $__dr={call};if($__dr){{{writes}}}" if writes else call
            code = f"if($__dB[0]&2)try{{{body}}}catch($__x){{$__dC({pid},{err})}}"
        else:
            resume = f"$__dK({RECORD});" if fn.record and (fn.is_async or fn.is_generator) else ""
            code = (f"}}catch($__e){{{resume}try{{$__dX($__e,{pid},{this},[{values}])}}catch($__x){{$__dX($__e,{pid})}}"
                    f"throw $__e}}")
            if fn.record:
                code += f"finally{{if({RECORD})$__dS.c={RECORD}.s}}"
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
        if fn.record and kind in ("await_expression", "yield_expression"):
            self.suspension(node, chain, fn)
            return
        if kind in ("for_statement", "for_in_statement"):
            self.loop(node, chain, fn)
            return
        if kind == "catch_clause":
            self.catch(node, chain, fn)
            return
        if kind == "finally_clause" and fn.record and (fn.is_async or fn.is_generator):
            body = node.child_by_field_name("body")
            if body is not None:
                self.insert(body.start_byte + 1, f"$__dK({RECORD});")
        if kind == "switch_body":
            scope = Scope(node, False)
            scopes.declare_block(scope, node)
            chain = [*chain, scope]
            self.region(scope, chain, fn)
            self.statements(node.named_children, chain, fn)
            return
        self.children(node, chain, fn)

    def children(self, node: Node, chain: list[Scope], fn: _Fn, body: Node | None = None, prefix: str = "",
                 suffix: str = "") -> None:
        """Visit the children, bracing (and probing) statement bodies; ``body`` gets ``prefix``/``suffix`` inside."""
        wrap = self.wrapped_bodies(node)
        for child in node.named_children:
            if child.id in wrap:
                mine = body is not None and child.id == body.id
                self.insert(child.start_byte, "{" + (prefix if mine else "") + self.probe(chain, fn, child.start_byte)[1])
                self.visit(child, chain, fn)
                self.insert(child.end_byte, (suffix if mine else "") + "}")
            else:
                self.visit(child, chain, fn)

    def loop(self, node: Node, chain: list[Scope], fn: _Fn) -> None:
        """A ``for`` loop: its head's names, the accessor in its body, and ``for await`` resumptions."""
        scope = Scope(node, False)
        scopes.declare_loop(scope, node)
        chain = [*chain, scope]
        body = node.child_by_field_name("body")
        own = body is not None and body.type == "statement_block" and self.declares(body)  # its accessor covers ours
        prefix = self.region(scope, chain, fn, accessor_at=None if own else body, accessor_in=body)[1]
        suffix = ""
        right = node.child_by_field_name("right")
        for_await = fn.record and node.type == "for_in_statement" and any(c.type == "await" for c in node.children)
        if for_await:  # each iteration resumes the function after an implicit await
            prefix += f"$__dA({RECORD},0);"
            suffix = f";$__dY({RECORD},0);"
            if right is not None:
                self.insert(right.start_byte, f"$__dY({RECORD},")
        if body is not None and body.type == "statement_block":
            if prefix:
                self.insert(body.start_byte + 1, prefix)
            self.children(node, chain, fn)
            if suffix:
                self.insert(body.end_byte - 1, suffix)
        else:
            self.children(node, chain, fn, body, prefix, suffix)
        if for_await:
            if right is not None:
                self.insert(right.end_byte, ")")
            self.insert(node.end_byte, f";$__dA({RECORD},0);")

    def suspension(self, node: Node, chain: list[Scope], fn: _Fn) -> None:
        """``await x`` -> ``$__dA(r,await $__dY(r,x))`` (and ``yield`` alike): keep the caller chain right."""
        arg = node.named_children[-1] if node.named_children else None
        is_yield = node.type == "yield_expression"
        self.insert(node.start_byte, f"$__dG({RECORD}," if is_yield else f"$__dA({RECORD},")
        if arg is None:
            self.insert(node.end_byte, f" $__dY({RECORD},void 0,2))")
            return
        self.insert(arg.start_byte, f"$__dY({RECORD},")
        self.visit(arg, chain, fn)
        self.insert(arg.end_byte, ",2)" if is_yield else ")")
        self.insert(node.end_byte, ")")

    @staticmethod
    def declares(block: Node) -> bool:
        scope = Scope(block, False)
        scopes.declare_block(scope, block)
        return bool(scope.names)

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
        chain = [*chain, scope]
        accessor = self.region(scope, chain, fn, accessor_at=node, accessor_in=node)[1]
        if accessor:
            self.insert(node.start_byte + 1, accessor)
        self.statements(node.named_children, chain, fn)

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
        accessor = self.region(scope, chain, fn, accessor_at=None if self.declares(body) else body,
                               accessor_in=body)[1]
        resume = f"$__dK({RECORD});" if fn.record and (fn.is_async or fn.is_generator) else ""
        self.insert(body.start_byte + 1,
                    resume + accessor + self.probe(chain, fn, body.start_byte + 1, "catch", err)[1])
        self.block(body, chain, fn)

    def function(self, node: Node, chain: list[Scope], outer: _Fn) -> None:
        scope = Scope(node, True)
        scopes.declare_params(scope, node)
        body = node.child_by_field_name("body")
        name = self.function_name(node)
        start, end = self.pos(node.start_byte), self.pos(node.end_byte)
        self.functions.append(FunctionRange(name, start, end))
        is_arrow = node.type == "arrow_function"
        is_generator = node.type in ("generator_function_declaration", "generator_function") or (
            node.type == "method_definition" and any(c.type == "*" for c in node.children))
        fn = _Fn(node, name, len(chain), outer.this_ok if is_arrow else True, self.super_end(node),
                 record=node.id in self.calls, is_async=any(c.type == "async" for c in node.children),
                 is_generator=is_generator)
        if body is None:
            return
        chain = [*chain, scope]
        if body.type == "statement_block":
            scopes.hoist_vars(scope, body)
            scopes.declare_block(scope, body)
        fn.region, accessor = self.region(scope, chain, fn, is_function=True, accessor_at=body)
        head = "try{"
        if fn.record:  # the accessor is created inside the try block, where the body's declarations live
            head = f"const {RECORD}=$__dF({fn.region});try{{"
            if accessor:
                head += f"if({RECORD}){RECORD}.a={accessor};"
        if body.type == "statement_block":
            self.insert(body.start_byte + 1, head)
            self.statements(body.named_children, chain, fn)
            self.insert(body.end_byte - 1, self.probe(chain, fn, node.start_byte, "exit")[1])
            return
        probe = self.probe(chain, fn, body.start_byte)[1]
        self.insert(body.start_byte, "{" + head + probe + "return ")
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


def instrument(source: str, path: str, *, first_id: int = 1, file_index: int = 0,
               first_region: int = 1) -> InstrumentedFile:
    """Probe every statement of one file; probe ids start at ``first_id``, region ids at ``first_region``."""
    return _Instrumenter(source, path, first_id, file_index, first_region).run()
