"""Binding analysis over tree-sitter TypeScript trees: which names a scope declares.

The instrumenter uses it to decide which variables a probe captures. Only
value bindings count (var/let/const, parameters, functions, classes, catch
parameters and value-used imports); types, interfaces, enums and ambient
declarations never become values a probe could reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

FUNCTION_TYPES = frozenset({
    "function_declaration", "generator_function_declaration", "function_expression", "function",
    "generator_function", "arrow_function", "method_definition",
})
"""Node types that open a function scope."""

LEXICAL_KINDS = frozenset({"let", "const", "class"})
"""Binding kinds that are in the temporal dead zone before their declaration."""

_TYPE_CONTEXTS = frozenset({
    "type_annotation", "type_arguments", "type_parameters", "nested_type_identifier", "type_alias_declaration",
    "interface_declaration", "implements_clause", "type_query", "ambient_declaration",
})


@dataclass
class Scope:
    """Names declared by one scope node, in declaration order."""

    node: Node
    is_function: bool
    names: dict[str, tuple[str, int]] = field(default_factory=dict)
    """name -> (kind, end byte of the declaration)."""

    def add(self, name: str, kind: str, end: int) -> None:
        """Declare ``name`` unless it is already declared here."""
        if name and name not in self.names and name != "this" and not name.startswith("$__d"):
            self.names[name] = (kind, end)


def text(node: Node) -> str:
    """The source text of ``node``."""
    return (node.text or b"").decode("utf-8")


def pattern_names(node: Node | None) -> list[str]:
    """Identifiers bound by a binding pattern (identifier, object/array/rest/default pattern)."""
    if node is None:
        return []
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return [text(node)]
    if kind in ("required_parameter", "optional_parameter"):
        return pattern_names(node.child_by_field_name("pattern"))
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        return pattern_names(node.child_by_field_name("left"))
    if kind == "pair_pattern":
        return pattern_names(node.child_by_field_name("value"))
    if kind in ("object_pattern", "array_pattern", "rest_pattern"):
        out: list[str] = []
        for child in node.named_children:
            out.extend(pattern_names(child))
        return out
    return []


def _declarators(decl: Node) -> list[str]:
    out: list[str] = []
    for child in decl.named_children:
        if child.type == "variable_declarator":
            out.extend(pattern_names(child.child_by_field_name("name")))
    return out


def _lexical_kind(decl: Node) -> str:
    kind = decl.child_by_field_name("kind")
    return text(kind) if kind is not None else "let"


def declare_statement(scope: Scope, stmt: Node) -> None:
    """Add the block-level bindings one statement of a statement list declares."""
    if stmt.type == "export_statement":
        decl = stmt.child_by_field_name("declaration")
        for child in stmt.named_children:
            if decl is None and child.type in ("function_declaration", "generator_function_declaration",
                                               "class_declaration", "lexical_declaration", "variable_declaration"):
                decl = child
        if decl is not None:
            declare_statement(scope, decl)
        return
    if stmt.type == "lexical_declaration":
        for name in _declarators(stmt):
            scope.add(name, _lexical_kind(stmt), stmt.end_byte)
    elif stmt.type in ("function_declaration", "generator_function_declaration"):
        name = stmt.child_by_field_name("name")
        if name is not None:
            scope.add(text(name), "function", stmt.start_byte)
    elif stmt.type == "class_declaration":
        name = stmt.child_by_field_name("name")
        if name is not None:
            scope.add(text(name), "class", stmt.end_byte)


def hoist_vars(scope: Scope, body: Node) -> None:
    """Add every ``var`` declared in ``body`` without entering nested functions."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "variable_declaration":
            for name in _declarators(node):
                scope.add(name, "var", 0)
        for child in node.named_children:
            if child.type not in FUNCTION_TYPES and child.type != "class_body":
                stack.append(child)


def declare_params(scope: Scope, fn: Node) -> None:
    """Add a function's parameters."""
    params = fn.child_by_field_name("parameters")
    if params is not None:
        for param in params.named_children:
            for name in pattern_names(param):
                scope.add(name, "param", 0)
    single = fn.child_by_field_name("parameter")
    if single is not None:
        for name in pattern_names(single):
            scope.add(name, "param", 0)


def declare_block(scope: Scope, block: Node) -> None:
    """Add the bindings of a statement list (block, program, switch body)."""
    for stmt in block.named_children:
        if stmt.type in ("switch_case", "switch_default"):
            for inner in stmt.named_children:
                declare_statement(scope, inner)
        else:
            declare_statement(scope, stmt)


def declare_loop(scope: Scope, loop: Node) -> None:
    """Add the variables a ``for`` / ``for-in/of`` head declares."""
    if loop.type == "for_statement":
        init = loop.child_by_field_name("initializer")
        if init is not None and init.type == "lexical_declaration":
            for name in _declarators(init):
                scope.add(name, _lexical_kind(init), init.end_byte)
    else:
        kind = loop.child_by_field_name("kind")
        if kind is not None and text(kind) in ("let", "const"):
            left = loop.child_by_field_name("left")
            for name in pattern_names(left):
                scope.add(name, text(kind), left.end_byte if left is not None else 0)


def value_identifiers(root: Node) -> set[str]:
    """Identifiers used as values anywhere in ``root`` (outside type positions and imports)."""
    used: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in _TYPE_CONTEXTS or node.type == "import_statement":
            continue
        if node.type in ("identifier", "shorthand_property_identifier"):
            used.add(text(node))
        stack.extend(node.children)
    return used


def declare_imports(scope: Scope, program: Node) -> None:
    """Add import bindings that the file uses as values (type-only imports are erased by esbuild)."""
    used = value_identifiers(program)
    for stmt in program.named_children:
        if stmt.type != "import_statement" or text(stmt).startswith("import type"):
            continue
        for node in _walk(stmt):
            if node.type == "import_specifier":
                if text(node).startswith("type "):
                    continue
                alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                if alias is not None and text(alias) in used:
                    scope.add(text(alias), "import", 0)
            elif node.type == "identifier" and node.parent is not None and node.parent.type in (
                    "import_clause", "namespace_import"):
                if text(node) in used:
                    scope.add(text(node), "import", 0)


def _walk(node: Node) -> list[Node]:
    out = [node]
    for child in node.named_children:
        out.extend(_walk(child))
    return out
