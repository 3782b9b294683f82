"""Find, show and splice functions in C, C++ and Python sources (tree-sitter).

The loop optimizes one function at a time. This module answers three questions for it:

* which functions does a file define, and where (`list_functions`, `find_function`)?
* what does a model need to see to rewrite one of them (`prompt_context`)?
* how does the model's answer go back into the file (`extract_code`, `splice`)?

Design choices worth knowing:

* Ranges include what belongs to a definition syntactically: a C++ `template <...>` line and
  Python decorators are part of the function's range, so a splice replaces them together.
* Function search never descends into C/C++ function bodies (lambdas and local classes are
  not optimization targets) but does descend into preprocessor conditionals, `extern "C"`
  blocks, namespaces and classes, so header files with include guards work.
* Python nested functions are listed with dotted qualified names (`outer.inner`, `C.m`);
  C++ uses `ns::S::f` (out-of-line definitions keep their written qualifier).
* `splice` rewrites the target function and the target's *own helpers*: the functions of the
  same file that the target calls, directly or through other own helpers, and that no code
  outside the target and its own helpers mentions (`own_helpers`). The hot loop often lives in
  such a helper (a recursive `dfs_helper` called by `componentCount`), and rewriting it changes
  nothing any other code of the file sees. The calls of the answer's version of the target
  count too: a function of the file that only the new code calls (a `dist` the original
  inlined) may be rewritten under the same condition, and a function it calls that other code
  uses is kept, with that reason (not "not called by the target", which was wrong about the
  model's code). A function some other code of the file uses is
  never rewritten: that would change code the user did not ask us to touch. Only this file is
  looked at: another file of the project that calls an own helper sees its rewrite, and the
  target's build and test judge that. References are matched by name (a local variable of
  another function named like a helper keeps that helper from being the target's own).
* Other code in the answer is used only when it is *new* (a helper, a type, an include the
  file lacks): repeating existing types or globals would risk redefinition errors. A Python
  import that would rebind a name the file already binds to something else (its own
  `groupby`, an optional import made in a top-level `try`) is left out, or a `from` import cut
  down to its other names: rebinding would change code the user did not ask us to touch.
  New includes/imports go after the file's last include/import, new helpers just before the
  first top-level item that holds the target or a rewritten helper, new class members just
  before the target method. A `main` the model adds as a demo is dropped: the target's own
  program has one.
* Nothing is dropped silently: `splice_parts` says which parts of the answer were used and
  which were not, and why, so the loop can report it and tell the agent what actually ran.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts
import tree_sitter_c
import tree_sitter_cpp
import tree_sitter_python

from lessonl import fences
from lessonl.errors import LessonLError, UsageError

LANGUAGES = ("c", "cpp", "python")

# Above this many characters the "rest of the file" is trimmed for the prompt (see
# `prompt_context`): about 3k tokens, which leaves room for lessons in a small model's window.
CONTEXT_LIMIT_CHARS = 12_000


class SpliceError(LessonLError):
    """The model's answer cannot be put back into the file (e.g. it lacks the target function).

    The loop records such a variant as `not_compilable` with this message as the reason.
    """


@dataclass(frozen=True)
class FunctionInfo:
    """One function definition. Lines are 0-based and inclusive; bytes are UTF-8 offsets."""

    name: str
    qualified_name: str
    kind: str  # "function" | "method" | "template" | "nested"
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int


@dataclass(frozen=True)
class PromptContext:
    """What the optimize prompt shows: `code` to rewrite and read-only `context` around it.

    `name` is the target function's name as the user gave it (None in whole-file mode).
    """

    code: str
    context: str
    name: str | None
    qualified_name: str | None = None
    # The target's own helpers (see `own_helpers`): an answer may rewrite these too.
    helpers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerPart:
    """One part of a model's answer and what `splice_parts` did with it.

    `kind`: used parts are "target", "helper" (a rewrite of one of the target's own helpers),
    "new" (a function, type, global or member the file lacks) or "include" (an include, import
    or `using` line); ignored parts are "function", "definition" (a type or global the file
    already has, changed) or "code" (a demo `main`, script statements, unparsable text).
    `reason` says why an ignored part was not used. `original` is the file's text of a
    rewritten helper (for the lesson prompt's "before"); it is not part of the JSON.
    """

    kind: str
    name: str
    reason: str = ""
    original: str = ""

    def to_json(self) -> dict[str, str]:
        data = {"kind": self.kind, "name": self.name}
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class SpliceResult:
    """The spliced file plus which parts of the answer went into it and which did not."""

    text: str
    used: tuple[AnswerPart, ...] = ()
    ignored: tuple[AnswerPart, ...] = ()

    def to_json(self) -> dict[str, list[dict[str, str]]]:
        return {
            "used": [p.to_json() for p in self.used],
            "ignored": [p.to_json() for p in self.ignored],
        }

    @property
    def rewritten_helpers(self) -> tuple[AnswerPart, ...]:
        return tuple(p for p in self.used if p.kind == "helper")


# ---------------------------------------------------------------------------------------------
# Parsing


@cache
def _parser(language: str) -> ts.Parser:
    if language == "c":
        lang = ts.Language(tree_sitter_c.language())
    elif language == "cpp":
        lang = ts.Language(tree_sitter_cpp.language())
    elif language == "python":
        lang = ts.Language(tree_sitter_python.language())
    else:
        raise UsageError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    return ts.Parser(lang)


def _parse(source: str | bytes, language: str) -> tuple[bytes, ts.Node]:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return data, _parser(language).parse(data).root_node


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


# Node types that hold declarations and may hold function definitions (C/C++).
_C_SCOPES = {
    "translation_unit",
    "preproc_ifdef",
    "preproc_if",
    "preproc_else",
    "preproc_elif",
    "preproc_elifdef",
    "linkage_specification",
    "declaration_list",
    "namespace_definition",
    "field_declaration_list",
    "class_specifier",
    "struct_specifier",
    "union_specifier",
    "template_declaration",
}
_C_CLASSES = {"class_specifier", "struct_specifier", "union_specifier"}


@dataclass(frozen=True)
class _Found:
    """A function plus the nodes `splice` needs (the outermost node of its range, its scope)."""

    info: FunctionInfo
    outer: ts.Node  # template_declaration / decorated_definition / the function itself
    func: ts.Node  # the function_definition node
    name_node: ts.Node | None
    in_class: bool


def _c_declarator_name(func: ts.Node) -> ts.Node | None:
    """The name node of a C/C++ function definition (through pointers and references)."""
    node = func.child_by_field_name("declarator")
    while node is not None:
        if node.type == "function_declarator":
            return node.child_by_field_name("declarator")
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            # reference_declarator has no field name for its inner declarator
            nxt = next((c for c in node.named_children if "declarator" in c.type), None)
        node = nxt
    return None


def _short(qualified: str) -> str:
    return qualified.split("::")[-1] if "::" in qualified else qualified


def _iter_c(node: ts.Node, scope: list[str], in_class: bool) -> Iterator[_Found]:
    for child in node.named_children:
        t = child.type
        if t == "function_definition":
            yield _c_found(child, child, scope, in_class, template=False)
        elif t == "template_declaration":
            inner = next((c for c in child.named_children if c.type == "function_definition"), None)
            if inner is not None:
                yield _c_found(inner, child, scope, in_class, template=True)
            else:
                yield from _iter_c(child, scope, in_class)
        elif t == "namespace_definition":
            name = child.child_by_field_name("name")
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _iter_c(body, [*scope, _text(name)] if name else scope, False)
        elif t in _C_CLASSES:
            name = child.child_by_field_name("name")
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _iter_c(body, [*scope, _text(name)] if name else scope, True)
        elif t in ("declaration", "field_declaration", "type_definition"):
            # `struct S { ... } s;` and `typedef struct { ... } T;` hold a class specifier
            for spec in child.named_children:
                if spec.type in _C_CLASSES:
                    name = spec.child_by_field_name("name")
                    body = spec.child_by_field_name("body")
                    if body is not None:
                        yield from _iter_c(body, [*scope, _text(name)] if name else scope, True)
        elif t in _C_SCOPES or t.startswith("preproc_"):
            yield from _iter_c(child, scope, in_class)


def _c_found(
    func: ts.Node, outer: ts.Node, scope: list[str], in_class: bool, *, template: bool
) -> _Found:
    name_node = _c_declarator_name(func)
    written = "".join(_text(name_node).split()) if name_node is not None else "<anonymous>"
    qualified = "::".join([*scope, written])
    kind = "template" if template else "method" if in_class or "::" in written else "function"
    return _Found(
        FunctionInfo(
            name=_short(written),
            qualified_name=qualified,
            kind=kind,
            start_line=outer.start_point[0],
            end_line=outer.end_point[0],
            start_byte=outer.start_byte,
            end_byte=outer.end_byte,
        ),
        outer,
        func,
        name_node,
        in_class,
    )


def _iter_py(node: ts.Node, scope: list[str], where: str) -> Iterator[_Found]:
    """`where` is "module", "class" or "function": it decides the kind of the defs found."""
    for child in node.named_children:
        outer = child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition")
            if inner is None:
                continue
            child = inner
        if child.type == "function_definition":
            name_node = child.child_by_field_name("name")
            name = _text(name_node) if name_node else "<anonymous>"
            kind = {"module": "function", "class": "method", "function": "nested"}[where]
            yield _Found(
                FunctionInfo(
                    name=name,
                    qualified_name=".".join([*scope, name]),
                    kind=kind,
                    start_line=outer.start_point[0],
                    end_line=outer.end_point[0],
                    start_byte=outer.start_byte,
                    end_byte=outer.end_byte,
                ),
                outer,
                child,
                name_node,
                where == "class",
            )
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _iter_py(body, [*scope, name], "function")
        elif child.type == "class_definition":
            name_node = child.child_by_field_name("name")
            body = child.child_by_field_name("body")
            if body is not None:
                cls = _text(name_node) if name_node is not None else "<anonymous>"
                yield from _iter_py(body, [*scope, cls], "class")
        elif child.type in ("if_statement", "try_statement", "with_statement", "block") or (
            child.type in ("else_clause", "elif_clause", "except_clause", "finally_clause")
        ):
            # defs under `if TYPE_CHECKING:` / `try:` at the same level
            yield from _iter_py(child, scope, where)


def _found(root: ts.Node, language: str) -> list[_Found]:
    if language == "python":
        return list(_iter_py(root, [], "module"))
    return list(_iter_c(root, [], False))


# ---------------------------------------------------------------------------------------------
# Public API: listing and finding


def list_functions(source: str, language: str) -> list[FunctionInfo]:
    """Every function definition of `source`, in file order (methods, templates, nested defs)."""
    _, root = _parse(source, language)
    return [f.info for f in _found(root, language)]


def _match(found: list[_Found], name: str) -> list[_Found]:
    """Definitions named `name`: exact qualified name, else qualified suffix, else short name."""
    sep = "." if "." in name and "::" not in name else "::"
    exact = [f for f in found if f.info.qualified_name == name]
    if exact:
        return exact
    suffix = [f for f in found if f.info.qualified_name.endswith(sep + name)]
    if suffix:
        return suffix
    return [f for f in found if f.info.name == _short(name.split(".")[-1])]


def cpp_name(name: str, language: str) -> str:
    """A C/C++ member named as Python names one (`Polygon.area`) in C++'s own spelling
    (`Polygon::area`): both are accepted, so a name copied from either world finds it."""
    if language != "python" and "." in name and "::" not in name:
        return name.replace(".", "::")
    return name


#: How many of a file's function names the "no function" error lists (cJSON.c has 116).
_LISTED = 20


def _listed(found: list[_Found]) -> str:
    names = sorted({f.info.qualified_name for f in found})
    if not names:
        return "none"
    more = f", and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return ", ".join(names[:_LISTED]) + more


def _find(source: str, language: str, name: str) -> tuple[bytes, ts.Node, _Found]:
    name = cpp_name(name, language)
    data, root = _parse(source, language)
    found = _found(root, language)
    hits = _match(found, name)
    if not hits:
        raise UsageError(f"no function {name!r} in this file (functions: {_listed(found)})")
    names = {h.info.qualified_name for h in hits}
    if len(names) > 1:
        raise UsageError(
            f"function name {name!r} is ambiguous ({', '.join(sorted(names))}); "
            "give the qualified name"
        )
    # Same qualified name several times = C++ overloads: the first definition is the target.
    return data, root, hits[0]


def find_function(source: str, language: str, name: str) -> FunctionInfo:
    """The definition of `name` (qualified or short); UsageError if absent or ambiguous."""
    return _find(source, language, name)[2].info


@dataclass(frozen=True)
class CClass:
    """A C++ class (or struct, union) definition: what a program outside it may call, for the
    automatic C/C++ target's driver (lessonl/native/reach.py)."""

    qualified_name: str
    text: str  # the definition, its `template <...>` line included
    template: bool  # a class template: a driver must instantiate it
    access: dict[str, str]  # member function name -> "public" | "protected" | "private"
    statics: frozenset[str] = frozenset()  # the `static` member functions (no object needed)


def _iter_c_classes(node: ts.Node, scope: list[str], template: bool) -> Iterator[CClass]:
    for child in node.named_children:
        t = child.type
        if t == "template_declaration":
            yield from _iter_c_classes(child, scope, True)
            continue
        specs = [child] if t in _C_CLASSES else []
        if t in ("declaration", "type_definition", "field_declaration"):
            specs = [c for c in child.named_children if c.type in _C_CLASSES]
        for spec in specs:
            name = spec.child_by_field_name("name")
            body = spec.child_by_field_name("body")
            if name is None or body is None:
                continue
            qualified = [*scope, _text(name)]
            outer = node if template else spec
            access, statics = _member_access(spec, body)
            yield CClass("::".join(qualified), _text(outer), template, access, statics)
            yield from _iter_c_classes(body, qualified, False)
        if t == "namespace_definition":
            name = child.child_by_field_name("name")
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _iter_c_classes(body, [*scope, _text(name)] if name else scope, False)
        elif t in _C_SCOPES and t not in _C_CLASSES and t != "template_declaration":
            yield from _iter_c_classes(child, scope, False)


def _member_access(spec: ts.Node, body: ts.Node) -> tuple[dict[str, str], frozenset[str]]:
    """Each member function's access (`class` members start private, `struct`/`union`
    public), and which are `static`."""
    access = "private" if spec.type == "class_specifier" else "public"
    out: dict[str, str] = {}
    statics: set[str] = set()
    for child in body.named_children:
        if child.type == "access_specifier":
            access = _text(child).strip()
            continue
        decl = child
        if decl.type == "template_declaration":
            decl = next(
                (
                    c
                    for c in decl.named_children
                    if "declaration" in c.type or c.type == "function_definition"
                ),
                decl,
            )
        if decl.type in ("function_definition", "field_declaration", "declaration"):
            name = _c_declarator_name(decl)
            if name is not None:
                member = _short("".join(_text(name).split()))
                out.setdefault(member, access)
                storage = [c for c in decl.named_children if c.type == "storage_class_specifier"]
                if any(_text(c) == "static" for c in storage):
                    statics.add(member)
    return out, frozenset(statics)


def c_classes(source: str, language: str) -> list[CClass]:
    """Every class, struct and union definition of a C/C++ `source` (nested ones too)."""
    if language == "python":
        return []
    _, root = _parse(source, language)
    return list(_iter_c_classes(root, [], False))


# ---------------------------------------------------------------------------------------------
# Prompt context


def _comment(language: str, text: str) -> str:
    return f"# {text}" if language == "python" else f"/* {text} */"


def _line_start(data: bytes, pos: int) -> int:
    return data.rfind(b"\n", 0, pos) + 1


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping (start, end, replacement) edits; later positions first."""
    out = data
    for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + repl + out[end:]
    return out


def _identifiers(node: ts.Node) -> set[str]:
    names: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in (
            "identifier",
            "type_identifier",
            "field_identifier",
            "namespace_identifier",
        ):
            names.add(_text(n))
        stack.extend(n.children)
    return names


def prompt_context(
    source: str, language: str, name: str | None, *, limit: int = CONTEXT_LIMIT_CHARS
) -> PromptContext:
    """The code to rewrite plus the read-only context a model needs to rewrite it well.

    Whole-file mode (`name` None): the code is the whole file and there is no extra context.
    Otherwise the context is the rest of the file with the target replaced by a one-line marker.
    When that is longer than `limit` (CONTEXT_LIMIT_CHARS), the bodies of the other functions
    are elided (their signatures, the types, globals and includes stay: that is what a model
    needs to call them correctly); if still too long, items the target does not mention are
    dropped, and as a last resort the context is cut with a note.
    """
    if name is None:
        return PromptContext(code=source, context="", name=None)
    data, root, hit = _find(source, language, name)
    info = hit.info
    start = _line_start(data, info.start_byte)
    code = data[start : info.end_byte].decode("utf-8")
    marker = _comment(language, f"... `{info.qualified_name}` is defined here (shown below) ...")
    indent = data[start : info.start_byte]
    target_edit = (start, info.end_byte, indent + marker.encode())
    context = _apply(data, [target_edit])
    if len(context) > limit:
        used = _identifiers(hit.func)

        def inside(a: ts.Node, b: ts.Node) -> bool:
            return b.start_byte <= a.start_byte and a.end_byte <= b.end_byte

        # Functions other than the target and those enclosing it (Python nested defs), and of
        # those the outermost: eliding an outer body elides whatever is nested in it.
        others = [f for f in _found(root, language) if not inside(hit.outer, f.outer)]
        outermost = [
            f for f in others if not any(g is not f and inside(f.outer, g.outer) for g in others)
        ]
        stub = b"..." if language == "python" else b"{ /* ... */ }"
        elide = [target_edit]  # stage 1: other functions keep only their signatures
        drop = [target_edit]  # stage 2: and those the target never mentions go entirely
        for other in outermost:
            body = other.func.child_by_field_name("body")
            if body is None:
                continue
            elide.append((body.start_byte, body.end_byte, stub))
            if other.info.name in used:
                drop.append((body.start_byte, body.end_byte, stub))
            else:
                o = other.outer
                drop.append((_line_start(data, o.start_byte), o.end_byte, b""))
        context = _apply(data, elide)
        if len(context) > limit:
            context = _apply(data, drop)
        if len(context) > limit:
            note = _comment(language, "... (rest of the file omitted) ...").encode()
            context = context[:limit] + b"\n" + note + b"\n"
    owned, _ = _own_helpers(root, language, hit)
    return PromptContext(
        code=code,
        context=context.decode("utf-8", errors="replace"),
        name=name,
        qualified_name=info.qualified_name,
        helpers=tuple(dict.fromkeys(f.info.qualified_name for f in owned)),
    )


# ---------------------------------------------------------------------------------------------
# The target's own helpers

_REF_TYPES = {"identifier", "field_identifier"}


def _is_definition_name(node: ts.Node, language: str) -> bool:
    """True for the name a function definition or prototype declares (not a use of it)."""
    parent = node.parent
    if parent is None:
        return False
    if language == "python":
        name = parent.child_by_field_name("name")
        return parent.type in ("function_definition", "class_definition") and (
            name is not None and name.start_byte == node.start_byte
        )
    child = node
    while parent is not None and parent.type in ("qualified_identifier", "destructor_name"):
        child, parent = parent, parent.parent
    if parent is None or parent.type != "function_declarator":
        return False
    decl = parent.child_by_field_name("declarator")
    return decl is not None and decl.start_byte == child.start_byte


def _references(root: ts.Node, language: str) -> list[tuple[int, str]]:
    """(byte offset, name) of every identifier that is a use, in file order."""
    refs: list[tuple[int, str]] = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type in _REF_TYPES and not _is_definition_name(n, language):
            refs.append((n.start_byte, _text(n)))
        stack.extend(n.children)
    refs.sort()
    return refs


def _inside(a: ts.Node, b: ts.Node) -> bool:
    return b.start_byte <= a.start_byte and a.end_byte <= b.end_byte


def _own_helpers(
    root: ts.Node,
    language: str,
    target: _Found,
    answer: Mapping[str, set[str]] | None = None,
) -> tuple[list[_Found], dict[str, str]]:
    """The target's own helpers, and for every other function name why it is not one.

    Own helpers: the largest set of functions (outside the target, not enclosing it, not nested
    in another function) that the target reaches by calls, directly or through each other,
    and whose names no code outside the target and that set mentions. Names stand for all the
    file's functions of that name (overloads go together): matching is by name, so it errs on
    the side of leaving a function alone.

    `answer` (name -> the names its body mentions, for each function of a model's answer)
    adds what the *new* code calls: a function of the file that only the answer's version of
    the target starts calling (a `dist` helper the original inlined) is the target's own too,
    when nothing else in the file uses it; the rewrite then changes nothing other code sees.
    """
    answer = answer or {}
    found = _found(root, language)
    pool = [
        f
        for f in found
        if not _inside(f.outer, target.outer)
        and not _inside(target.outer, f.outer)
        and not any(g is not f and _inside(f.outer, g.outer) for g in found)
        and f.info.name != target.info.name
    ]
    by_name: dict[str, list[_Found]] = {}
    for f in pool:
        by_name.setdefault(f.info.name, []).append(f)
    refs = _references(root, language)
    positions = [r[0] for r in refs]

    def names_in(node: ts.Node) -> set[str]:
        lo = bisect.bisect_left(positions, node.start_byte)
        hi = bisect.bisect_left(positions, node.end_byte)
        return {refs[i][1] for i in range(lo, hi)}

    reach: set[str] = set()
    todo = [names_in(target.outer) | answer.get(target.info.name, set())]
    while todo:
        for nm in todo.pop():
            if nm in by_name and nm not in reach:
                reach.add(nm)
                todo.extend(names_in(f.outer) for f in by_name[nm])
                todo.append(answer.get(nm, set()))
    tn = target.info.qualified_name
    callers = f"`{tn}` calls it neither in the file nor in the answer" if answer else ""
    why: dict[str, str] = {
        nm: callers or f"it is not called by `{tn}`" for nm in by_name if nm not in reach
    }

    def user(pos: int) -> str:
        holders = [f for f in found if f.outer.start_byte <= pos < f.outer.end_byte]
        if holders:
            inner = min(holders, key=lambda f: f.outer.end_byte - f.outer.start_byte)
            return f"`{inner.info.qualified_name}`"
        line = (root.text or b"")[:pos].count(b"\n") + 1
        return f"the code at line {line}"

    owned = set(reach)
    changed = True
    while changed:
        changed = False
        zone = [target.outer, *(f.outer for nm in owned for f in by_name[nm])]
        for nm in sorted(owned):
            for pos, ref in refs:
                if ref == nm and not any(z.start_byte <= pos < z.end_byte for z in zone):
                    why[nm] = (
                        f"it is also used by {user(pos)}, outside `{target.info.qualified_name}`"
                    )
                    owned.discard(nm)
                    changed = True
                    break
            if changed:
                break
    return [f for f in pool if f.info.name in owned], why


def _mentions(root: ts.Node, language: str, found: list[_Found]) -> dict[str, set[str]]:
    """For each function of a parsed answer, by name, the names its body mentions."""
    refs = _references(root, language)
    positions = [r[0] for r in refs]
    out: dict[str, set[str]] = {}
    for f in found:
        lo = bisect.bisect_left(positions, f.outer.start_byte)
        hi = bisect.bisect_left(positions, f.outer.end_byte)
        out.setdefault(f.info.name, set()).update(refs[i][1] for i in range(lo, hi))
    return out


def own_helpers(source: str, language: str, name: str) -> list[FunctionInfo]:
    """The functions a rewrite of `name` may change along with it (see `_own_helpers`)."""
    _, root, hit = _find(source, language, name)
    return [f.info for f in _own_helpers(root, language, hit)[0]]


# ---------------------------------------------------------------------------------------------
# Extracting the code block from a reply

_TAGS = {
    "c": {"c", "h"},
    "cpp": {"cpp", "c++", "cxx", "cc", "hpp", "h++", "cplusplus"},
    "python": {"python", "py", "python3", "py3"},
}


def extract_code(reply: str, language: str) -> str | None:
    """The code of the reply's fenced block: the longest tagged with `language`, else the
    longest of all; a block whose closing fence is missing (a reply cut by max_tokens) runs to
    the end. A fence line inside the code's own strings or comments (a docstring's example)
    does not end the block (see `lessonl.fences`). None when the reply has no fenced block.
    """
    blocks = [b for b in fences.code_blocks(reply, language) if b.code.strip()]
    if not blocks:
        return None
    tagged = [b for b in blocks if b.tag in _TAGS.get(language, {language})]
    pool = tagged or blocks
    return max(pool, key=lambda b: len(b.code)).code


# ---------------------------------------------------------------------------------------------
# Splicing


def _norm(text: str) -> str:
    return " ".join(text.split())


def _reindent(text: str, from_col: int, to_indent: str) -> str:
    """Move a block whose first line starts at column `from_col` (its leading whitespace
    already cut) to start at `to_indent`; later lines lose up to `from_col` leading spaces.
    """
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        cut = len(line) - len(line.lstrip(" \t"))
        line = line[min(cut, from_col) :]
        out.append(to_indent + line if line.strip() else line)
    return "\n".join(out)


def _include_nodes(root: ts.Node, language: str) -> list[ts.Node]:
    """Includes/imports (and C++ `using` directives) outside any function."""
    kinds = (
        {"import_statement", "import_from_statement", "future_import_statement"}
        if language == "python"
        else {"preproc_include", "using_declaration"}
    )
    found: list[ts.Node] = []

    def walk(node: ts.Node) -> None:
        for c in node.named_children:
            if c.type in kinds:
                found.append(c)
            elif language != "python" and (
                c.type.startswith("preproc_") or c.type == "linkage_specification"
            ):
                walk(c)

    walk(root)
    return found


def _import_names(node: ts.Node) -> list[tuple[str, str, ts.Node]]:
    """What a Python import binds at module level: (name, what it binds it to, the node).
    `import a.b` binds `a` to the package `a`; `from m import x as y` binds `y` to `m`'s `x`;
    a `*` import binds none we can name."""
    module = node.child_by_field_name("module_name")
    source = _text(module).strip() if module is not None else ""
    out: list[tuple[str, str, ts.Node]] = []
    for i, child in enumerate(node.named_children):
        if node.field_name_for_named_child(i) != "name":
            continue
        if child.type == "aliased_import":
            alias = child.child_by_field_name("alias")
            real = child.child_by_field_name("name")
            if alias is None or real is None:
                continue
            name, what = _text(alias), _text(real).strip()
        else:
            what = _text(child).strip()
            name = what.split(".")[0].strip() if node.type == "import_statement" else what
            what = name if node.type == "import_statement" else what
        target = f"import {what}" if node.type == "import_statement" else f"from {source}: {what}"
        out.append((name, target, child))
    return out


_PY_BLOCKS = {
    "if_statement",
    "elif_clause",
    "else_clause",
    "try_statement",
    "except_clause",
    "finally_clause",
    "with_statement",
    "block",
}


def _python_bound(root: ts.Node) -> dict[str, set[str]]:
    """Names a Python file binds at module level, each with what it binds them to (an import's
    source, or "" for a function, class or assignment): its own, including those inside a
    top-level `if`/`try`/`with` (the usual optional-import and TYPE_CHECKING blocks), never a
    function's or class's."""
    bound: dict[str, set[str]] = {}

    def targets(node: ts.Node) -> None:
        if node.type == "identifier":
            bound.setdefault(_text(node), set()).add("")
        elif node.type in ("pattern_list", "tuple_pattern", "list_pattern"):
            for c in node.named_children:
                targets(c)

    def walk(node: ts.Node) -> None:
        for c in node.named_children:
            item = c.child_by_field_name("definition") if c.type == "decorated_definition" else c
            if item is None:
                continue
            if item.type in ("function_definition", "class_definition"):
                defined = item.child_by_field_name("name")
                if defined is not None:
                    bound.setdefault(_text(defined), set()).add("")
            elif item.type in ("import_statement", "import_from_statement"):
                for name, what, _ in _import_names(item):
                    bound.setdefault(name, set()).add(what)
            elif item.type == "expression_statement":
                for e in item.named_children:
                    if e.type in ("assignment", "augmented_assignment"):
                        left = e.child_by_field_name("left")
                        if left is not None:
                            targets(left)
            elif item.type in _PY_BLOCKS:
                walk(item)

    walk(root)
    return bound


def _python_import(item: ts.Node, bound: dict[str, set[str]]) -> tuple[str | None, list[str]]:
    """A new import of the answer as it may be added: (its text, or that of a `from` import
    cut down to the names it may bind, or None; the names it would rebind).

    An import binding a name the file already binds to something else would change code the
    user did not ask us to touch: the local model added `from itertools import groupby` to
    toolz's itertoolz.py, which defines its own `groupby`. Added after the file's other
    imports, it happened to be overridden by that definition; in a file that imports below its
    definitions it would replace them for every caller. Binding a name to what every one of
    the file's bindings of it already is (`import os.path` beside `import os`, which loads a
    submodule the new code may need) changes nothing and is allowed; an import the file only
    makes inside a `try` (an optional dependency) is not repeated outside it."""
    names = _import_names(item)

    def rebinds(name: str, what: str) -> bool:
        return name in bound and bound[name] != {what}

    clash = [name for name, what, _ in names if rebinds(name, what)]
    if not clash:
        return _norm(_text(item)), []
    fresh = [node for name, what, node in names if not rebinds(name, what)]
    module = item.child_by_field_name("module_name")
    if item.type == "import_from_statement" and fresh and module is not None:
        kept = ", ".join(_text(node) for node in fresh)
        return f"from {_text(module)} import {kept}", clash
    return None, clash


def _item_key(node: ts.Node, language: str) -> str | None:
    """What identifies a top-level item, to tell a new helper from one the file already has.

    Functions are keyed by declarator (name + parameters, so a new overload is new), types by
    name, everything else by its normalized text. None means "never insert" (comments, demo
    `main`, Python script code).
    """
    t = node.type
    if t == "comment":
        return None
    if language == "python":
        if t == "decorated_definition":
            inner = node.child_by_field_name("definition")
            return _item_key(inner, language) if inner is not None else None
        if t in ("function_definition", "class_definition"):
            name = node.child_by_field_name("name")
            return f"{t}:{_text(name)}" if name is not None else None
        if t == "expression_statement" and node.named_children:
            first = node.named_children[0]
            if first.type == "assignment":
                left = first.child_by_field_name("left")
                return f"assign:{_text(left)}" if left is not None else None
        return None
    if t == "template_declaration":
        inner = next((c for c in node.named_children if c.type != "template_parameter_list"), None)
        return _item_key(inner, language) if inner is not None else _norm(_text(node))
    if t == "function_definition":
        decl = node.child_by_field_name("declarator")
        name = _c_declarator_name(node)
        if name is not None and _text(name) == "main":
            return None
        return "fn:" + "".join(_text(decl).split()) if decl is not None else None
    if t in _C_CLASSES or t == "enum_specifier":
        name = node.child_by_field_name("name")
        return f"type:{_text(name)}" if name is not None else _norm(_text(node))
    if t in ("preproc_def", "preproc_function_def"):
        name = node.child_by_field_name("name")
        return f"define:{_text(name)}" if name is not None else None
    if t == "expression_statement" or t == "ERROR":
        return None
    if t == "declaration":
        # a prototype, a global, or `struct S {...};`
        for c in node.named_children:
            if c.type in _C_CLASSES and c.child_by_field_name("body") is not None:
                return _item_key(c, language)
        decl = node.child_by_field_name("declarator")
        if decl is not None and decl.type == "function_declarator":
            return "proto:" + "".join(_text(decl).split())
        declared = _declared_name(decl)
        if declared is not None:
            return f"var:{declared}"  # a global: a changed initializer is not a new variable
    if t == "type_definition":
        declared = _declared_name(node.child_by_field_name("declarator"))
        if declared is not None:
            return f"type:{declared}"
    return "text:" + _norm(_text(node))


def _declared_name(decl: ts.Node | None) -> str | None:
    """The identifier a (possibly initialized, pointer or array) declarator declares."""
    while decl is not None and decl.type not in ("identifier", "type_identifier"):
        inner = decl.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in decl.named_children if "declarator" in c.type), None)
        decl = inner
    return _text(decl) if decl is not None else None


def _all_keys(root: ts.Node, language: str) -> set[str]:
    keys: set[str] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        k = _item_key(n, language) if n.is_named else None
        if k is not None and n.type not in ("translation_unit", "module"):
            keys.add(k)
            if k.startswith("fn:"):
                keys.add("proto:" + k[3:])
        stack.extend(n.named_children)
    return keys


def _container(node: ts.Node, language: str) -> ts.Node:
    """The scope node whose direct children are items (module, namespace body, class body)."""
    p = node.parent
    while p is not None:
        if language == "python" and p.type in ("module", "block"):
            return p
        if language != "python" and p.type in (
            "translation_unit",
            "declaration_list",
            "field_declaration_list",
        ):
            return p
        p = p.parent
    return node


def _top_item(node: ts.Node, language: str) -> ts.Node:
    """The ancestor of `node` (or itself) that sits directly in a namespace-level scope."""
    n = node
    while n.parent is not None:
        p = n.parent
        if language == "python" and p.type == "module":
            return n
        if language != "python" and (
            p.type == "translation_unit"
            or (
                p.type == "declaration_list"
                and p.parent is not None
                and p.parent.type in ("namespace_definition", "linkage_specification")
            )
            or p.type.startswith("preproc_")
        ):
            return n
        n = p
    return n


def _answer_target(found: list[_Found], target: _Found, data: bytes) -> _Found | None:
    """The answer's version of the target: same qualified name, else same short name (the
    answer often gives a method alone, without its class); overloads by equal declarator."""
    short = [f for f in found if f.info.name == target.info.name]
    if not short:
        return None
    exact = [f for f in short if f.info.qualified_name == target.info.qualified_name]
    pool = exact or short
    decl = target.func.child_by_field_name("parameters") or target.func.child_by_field_name(
        "declarator"
    )
    if decl is not None and len(pool) > 1:
        want = "".join(_text(decl).split())
        for f in pool:
            d = f.func.child_by_field_name("parameters") or f.func.child_by_field_name("declarator")
            if d is not None and "".join(_text(d).split()) == want:
                return f
    return pool[0]


def _items_around(answer_root: ts.Node, target: ts.Node, language: str) -> Iterator[ts.Node]:
    """Items of the answer that are not (and do not contain) the target, walking down the
    scopes that do contain it, so helpers inside `namespace ns { ... }` are found too."""

    def scope_children(node: ts.Node) -> list[ts.Node]:
        if language == "python":
            if node.type == "class_definition":
                body = node.child_by_field_name("body")
                return list(body.named_children) if body else []
            return list(node.named_children) if node.type in ("module", "block") else []
        if node.type in ("namespace_definition", "linkage_specification"):
            body = node.child_by_field_name("body")
            return list(body.named_children) if body else []
        if node.type in _C_CLASSES:
            body = node.child_by_field_name("body")
            return list(body.named_children) if body else []
        if node.type == "declaration":
            for c in node.named_children:
                if c.type in _C_CLASSES:
                    return scope_children(c)
            return []
        if node.type in ("translation_unit", "declaration_list") or node.type.startswith(
            "preproc_"
        ):
            return list(node.named_children)
        return []

    def walk(node: ts.Node) -> Iterator[ts.Node]:
        for c in scope_children(node):
            if c.start_byte <= target.start_byte and target.end_byte <= c.end_byte:
                if c.start_byte == target.start_byte and c.end_byte == target.end_byte:
                    continue
                yield from walk(c)
            else:
                yield c

    yield from walk(answer_root)


def splice(source: str, language: str, name: str | None, answer: str) -> str:
    """`source` with the target function (and its own helpers) replaced by the answer's.

    The text of `splice_parts`; callers that report what was used call that instead.
    """
    return splice_parts(source, language, name, answer).text


def _squash(text: str) -> str:
    return "".join(text.split())


def _replacement(
    mine: _Found, dest: _Found, adata: bytes, data: bytes, language: str
) -> tuple[int, int, bytes]:
    """The edit putting the answer's function `mine` in place of the file's `dest`: reindented
    to `dest`'s column, keeping the file's decorators / template header if the answer dropped
    them, and without a qualifier when the file defines it in-class (`int S::f()` cannot
    stand inside `struct S`)."""
    a_start, a_end = mine.outer.start_byte, mine.outer.end_byte
    t_node = dest.outer
    if mine.outer == mine.func and dest.outer != dest.func:
        t_node = dest.func
    new_func = adata[a_start:a_end]
    if (
        language != "python"
        and dest.in_class
        and mine.name_node is not None
        and mine.name_node.type == "qualified_identifier"
    ):
        nn = mine.name_node
        new_func = (
            adata[a_start : nn.start_byte] + dest.info.name.encode() + adata[nn.end_byte : a_end]
        )
    t_start = t_node.start_byte
    t_indent = data[_line_start(data, t_start) : t_start].decode("utf-8")
    if t_indent.strip():
        t_indent = ""  # something precedes the function on its line; leave layout alone
    new_text = _reindent(new_func.decode("utf-8"), mine.outer.start_point[1], t_indent)
    return (t_start, t_node.end_byte, new_text.encode())


def _file_match(pool: list[_Found], mine: _Found) -> _Found | None:
    """The file's function an answer's function stands for: same qualified name, else same
    short name; among overloads the one with the same parameters, else the only one."""
    same = [f for f in pool if f.info.name == mine.info.name]
    exact = [f for f in same if f.info.qualified_name == mine.info.qualified_name]
    cands = exact or same
    if len(cands) <= 1:
        return cands[0] if cands else None
    params = mine.func.child_by_field_name("parameters") or mine.func.child_by_field_name(
        "declarator"
    )
    want = _squash(_text(params)) if params is not None else None
    for f in cands:
        d = f.func.child_by_field_name("parameters") or f.func.child_by_field_name("declarator")
        if d is not None and _squash(_text(d)) == want:
            return f
    return None  # a new overload


def _item_name(node: ts.Node, language: str) -> str:
    first = _text(node).strip().split("\n")[0]
    return first if len(first) <= 60 else first[:57] + "..."


def splice_parts(source: str, language: str, name: str | None, answer: str) -> SpliceResult:
    """`source` with the target function replaced by the answer's version of it, plus what of
    the answer was used and what was not (and why).

    Whole-file mode (`name` None): the answer is the new file. Otherwise the answer may be the
    function alone or with rewrites of the target's own helpers and new helpers, types and
    includes/imports; see the module docstring for where each goes. Raises SpliceError if the
    answer lacks the target function.

    Long because its steps (target, own helpers, new members, helpers, includes) build one
    list of byte edits against the same parsed trees; apart they would pass a dozen locals,
    and a wrong splice is the worst defect: change it only with a test.
    """
    if name is None:
        if not answer.strip():
            raise SpliceError("the answer is empty; expected the whole file")
        text = answer if answer.endswith("\n") or not source.endswith("\n") else answer + "\n"
        return SpliceResult(text, used=(AnswerPart("target", "the whole file"),))
    data, root, target = _find(source, language, name)
    adata, aroot = _parse(answer, language)
    afound = _found(aroot, language)
    mine = _answer_target(afound, target, adata)
    if mine is None:
        raise SpliceError(
            f"the answer does not contain the function `{target.info.name}`; "
            "it must return the complete function with its name unchanged"
        )
    used: list[AnswerPart] = [AnswerPart("target", target.info.qualified_name)]
    ignored: list[AnswerPart] = []
    edits: list[tuple[int, int, bytes]] = [_replacement(mine, target, adata, data, language)]
    t_start = edits[0][0]
    t_indent = data[_line_start(data, t_start) : t_start].decode("utf-8")
    t_indent = "" if t_indent.strip() else t_indent

    owned, why_not = _own_helpers(root, language, target, _mentions(aroot, language, afound))
    owned_names = {f.info.name for f in owned}
    file_found = _found(root, language)
    pool = [
        f
        for f in file_found
        if not _inside(f.outer, target.outer) and not _inside(target.outer, f.outer)
    ]
    rewritten: list[_Found] = []

    # New members next to the target (same class in the answer), new helpers before the
    # target's top-level item, new includes after the last include.
    have = _all_keys(root, language)
    includes = _include_nodes(root, language)
    have_incl = {_norm(_text(n)) for n in includes}
    new_incl: list[str] = []
    members: list[str] = []
    helpers: list[str] = []
    answer_container = _container(mine.outer, language)
    answer_includes = _include_nodes(aroot, language)
    py_bound = _python_bound(root) if language == "python" else {}
    for item in _items_around(aroot, mine.outer, language):
        if item in answer_includes or item.type in (
            "preproc_include",
            "using_declaration",
            "import_statement",
            "import_from_statement",
            "future_import_statement",
        ):
            whole = _norm(_text(item))
            line: str | None = whole
            if whole not in have_incl and whole not in new_incl and language == "python":
                line, clash = _python_import(item, py_bound)
                if clash:
                    names = ", ".join(f"`{n}`" for n in clash)
                    ignored.append(
                        AnswerPart(
                            "include",
                            whole,
                            f"it would rebind {names}, which the file already binds and other "
                            "code of the file may use; "
                            + (f"`{line}` was added instead" if line else "it was not added"),
                        )
                    )
                for name, what, _ in _import_names(item) if line is not None else []:
                    if name not in clash:  # what the added import binds from now on
                        py_bound.setdefault(name, set()).add(what)
            if line is not None and line not in have_incl and line not in new_incl:
                new_incl.append(line)
                used.append(AnswerPart("include", line))
            continue
        func = next((f for f in afound if f.outer == item), None)
        if func is not None:
            dest = _file_match(pool, func)
            if dest is not None:
                if _squash(_text(dest.outer)) == _squash(_text(func.outer)) or _squash(
                    _text(dest.func)
                ) == _squash(_text(func.outer)):
                    continue  # repeated unchanged
                qn = dest.info.qualified_name
                if any(r is dest for r in rewritten):
                    ignored.append(AnswerPart("function", qn, "given twice; the first was used"))
                elif dest.info.name in owned_names:
                    rewritten.append(dest)
                    edits.append(_replacement(func, dest, adata, data, language))
                    used.append(AnswerPart("helper", qn, original=_text(dest.outer)))
                else:
                    reason = why_not.get(
                        dest.info.name, f"it is not one of `{target.info.qualified_name}`'s helpers"
                    )
                    ignored.append(
                        AnswerPart(
                            "function",
                            qn,
                            f"not rewritten: {reason}, so it is not one of "
                            f"`{target.info.qualified_name}`'s own helpers; the file's version "
                            "was kept",
                        )
                    )
                continue
        key = _item_key(item, language)
        if key is None:
            docstring = (
                item.type == "expression_statement"
                and len(item.named_children) == 1
                and item.named_children[0].type == "string"
            )
            if item.type != "comment" and not docstring:
                ignored.append(
                    AnswerPart(
                        "code",
                        _item_name(item, language),
                        "a demo `main` or script code is not added: the project's own build, test "
                        "and bench drive the target"
                        if item.type != "ERROR"
                        else "it does not parse",
                    )
                )
            continue
        if key in have:
            if key.startswith(("type:", "var:", "assign:", "define:", "class_definition:")):
                twin = _find_item(root, language, key)
                if twin is None or _squash(_text(twin)) != _squash(_text(item)):
                    ignored.append(
                        AnswerPart(
                            "definition",
                            key.split(":", 1)[1],
                            "the file already defines it; its own definition was kept",
                        )
                    )
            continue
        have.add(key)
        text = _text(item)
        if item.type == "template_declaration" or item.type.startswith("preproc_"):
            text = text.rstrip("\n")
        is_member = (
            target.in_class
            and _container(item, language) == answer_container
            and answer_container.type in ("field_declaration_list", "block")
        )
        used.append(AnswerPart("new", _display_key(key, item, language)))
        if is_member:
            members.append(_reindent(text, item.start_point[1], t_indent))
        else:
            helpers.append(_reindent(text, item.start_point[1], ""))

    if members:
        block = "".join(m + "\n\n" + t_indent for m in members)
        m_pos = target.outer.start_byte
        edits.append((m_pos, m_pos, block.encode()))
    if helpers:
        # Before the first of the target's and the rewritten helpers' top-level items in the
        # target's scope, so a rewritten helper defined above the target sees a new helper.
        top = _top_item(target.outer, language)
        scope = top.parent
        for r in rewritten:
            rtop = _top_item(r.outer, language)
            if rtop.parent == scope and rtop.start_byte < top.start_byte:
                top = rtop
        pos = _line_start(data, top.start_byte)
        indent = data[pos : top.start_byte].decode("utf-8")
        indent = indent if not indent.strip() else ""
        block = "".join(indent + _reindent(h, 0, indent) + "\n\n" for h in helpers)
        edits.append((pos, pos, block.encode()))
    if new_incl:
        edits.append(_include_edit(data, root, language, includes, new_incl))
    return SpliceResult(
        _apply(data, edits).decode("utf-8"), used=tuple(used), ignored=tuple(ignored)
    )


def _find_item(root: ts.Node, language: str, key: str) -> ts.Node | None:
    stack = [root]
    while stack:
        n = stack.pop()
        if (
            n.is_named
            and n.type not in ("translation_unit", "module")
            and _item_key(n, language) == key
        ):
            return n
        stack.extend(n.named_children)
    return None


def _display_key(key: str, item: ts.Node, language: str) -> str:
    kind, _, rest = key.partition(":")
    if kind in ("fn", "proto"):
        return rest.split("(")[0] or _item_name(item, language)
    if kind in ("text",):
        return _item_name(item, language)
    return rest


def _include_edit(
    data: bytes, root: ts.Node, language: str, includes: list[ts.Node], new: list[str]
) -> tuple[int, int, bytes]:
    """Where new includes/imports go: after the file's last one; else after an include guard's
    `#define` / `#pragma once` (C/C++) or the module docstring and `__future__` imports."""
    text = "".join(line + "\n" for line in new)
    if includes:
        last = includes[-1]
        end = data.find(b"\n", last.end_byte - 1)
        pos = len(data) if end < 0 else end + 1
        if pos == len(data) and not data.endswith(b"\n"):
            return (pos, pos, b"\n" + text.encode())
        return (pos, pos, text.encode())
    if language == "python":
        pos = 0
        for c in root.named_children:
            if c.type == "comment" or (
                c.type == "expression_statement"
                and c.named_children
                and c.named_children[0].type == "string"
                and pos == 0
            ):
                pos = _line_end(data, c.end_byte)
                continue
            break
        return (pos, pos, text.encode())
    m = re.search(rb"^[ \t]*#[ \t]*pragma[ \t]+once[^\n]*\n", data, re.M)
    if m is None:
        m = re.search(
            rb"\A(?:\s|//[^\n]*\n|/\*.*?\*/)*#[ \t]*ifndef[^\n]*\n[ \t]*#[ \t]*define[^\n]*\n",
            data,
            re.S,
        )
    pos = m.end() if m else 0
    return (pos, pos, text.encode())


def _line_end(data: bytes, pos: int) -> int:
    end = data.find(b"\n", pos)
    return len(data) if end < 0 else end + 1
