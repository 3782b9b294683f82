"""Markdown code fences around code: read out of a model's reply, written into a prompt.

Code often holds fences of its own: a Python docstring with a fenced ``` example, a Doxygen
`/** ... */` comment with one. Read naively, such a line ends the reply's code block in the
middle of the function (every answer for that function is then refused as "not containing the
function"), and a prompt's own fence is closed early by the code it shows.

* Reading (`code_blocks`): a line that would close the block is taken as the close only when
  the code before it is not inside a string literal or comment (a small per-language lexer:
  Python triple-quoted strings; C/C++ block comments and raw strings). If the reply ends with
  the block still "inside a string", the lexer misjudged (or the reply was cut there): the
  first candidate close is used, as before this check existed, so a reply that read right then
  reads the same now.
* Writing (`fenced`): the fence is one backtick longer than the longest backtick run in the
  code (at least three), which CommonMark guarantees the code cannot close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$")
_RAW_C = re.compile(r'(?:u8|[uUL])?R"([^()\\\s]{0,16})\(')


@dataclass(frozen=True)
class Block:
    """One fenced block of a reply: its info-string tag (lowercase) and its code."""

    tag: str
    code: str


def fenced(code: str, tag: str) -> str:
    """`code` in a fence it cannot close: longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    body = code if code.endswith("\n") else code + "\n"
    return f"{fence}{tag}\n{body}{fence}"


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}


def code_blocks(reply: str, language: str) -> list[Block]:
    """The fenced blocks of `reply` in order; an unclosed last block runs to the end."""
    lines = reply.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, tag = m.group(1), m.group(2).lower().lstrip("{.")
        start = i + 1
        lexer = _Lexer(language)
        first_candidate: int | None = None
        end = len(lines)
        j = start
        while j < len(lines):
            if _closes(lines[j], fence):
                if not lexer.inside:
                    end = j
                    break
                if first_candidate is None:
                    first_candidate = j
            lexer.feed(lines[j])
            j += 1
        else:
            if first_candidate is not None:
                end = first_candidate  # the lexer misjudged, or the reply was cut in a string
        blocks.append(Block(tag, "\n".join(lines[start:end]) + "\n"))
        i = end + 1
    return blocks


class _Lexer:
    """Just enough of a language's lexical grammar to know whether a line starts inside a
    multi-line string or comment (the only places a fence line can be part of the code)."""

    def __init__(self, language: str) -> None:
        self.python = language == "python"
        self.c_like = language in ("c", "cpp")
        self.open: str | None = None  # the text that ends the current multi-line construct

    @property
    def inside(self) -> bool:
        return self.open is not None

    def feed(self, line: str) -> None:
        if self.python:
            self._python(line)
        elif self.c_like:
            self._c(line)

    def _python(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.open is not None:
                k = line.find(self.open, i)
                while k > 0 and _escaped(line, k):
                    k = line.find(self.open, k + 1)
                if k < 0:
                    return
                i = k + 3
                self.open = None
                continue
            ch = line[i]
            if ch == "#":
                return
            if ch in "'\"":
                if line.startswith(ch * 3, i):
                    self.open = ch * 3
                    i += 3
                    continue
                i = _string_end(line, i + 1, ch)
                continue
            i += 1

    def _c(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.open is not None:
                k = line.find(self.open, i)
                if k < 0:
                    return
                i = k + len(self.open)
                self.open = None
                continue
            if line.startswith("//", i):
                return
            if line.startswith("/*", i):
                self.open = "*/"
                i += 2
                continue
            raw = _RAW_C.match(line, i)
            if raw is not None and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
                self.open = ")" + raw.group(1) + '"'
                i = raw.end()
                continue
            ch = line[i]
            if ch in "'\"":
                i = _string_end(line, i + 1, ch)
                continue
            i += 1


def _escaped(line: str, k: int) -> bool:
    backslashes = 0
    while k - backslashes - 1 >= 0 and line[k - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _string_end(line: str, i: int, quote: str) -> int:
    """The index after a one-line literal's closing quote (the line's end if none)."""
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i + 1
        i += 1
    return len(line)
