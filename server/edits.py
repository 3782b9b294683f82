"""A proposal as LSP edits: one TextEdit per changed hunk, never one whole-file replacement.

Why hunks: an editor previews, applies and undoes hunks in place, so folds, bookmarks, breakpoints
and cursors outside the changed function survive, and the Refactor Preview shows only what
changed. Hunks are whole lines (difflib over lines), so every position's character is 0 except
at the very end of a file without a final newline; that one position is measured in the
negotiated position encoding (UTF-16 unless the client chose otherwise), which is the only place
the encoding matters.

`proposal_edit` wraps the hunks into the `WorkspaceEdit` the `lessonl.optimize` command sends,
shaped by what the client says it supports (versioned document changes, change annotations).

Lines are split the way LSP counts them (`\\n`, `\\r\\n`, `\\r`), not with `str.splitlines`, which
also breaks on form feeds and U+2028 and would shift every later line number.
"""

from __future__ import annotations

import difflib
import re
from typing import cast

from lsprotocol import types

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their terminators, as LSP numbers them ("" has no lines)."""
    return _LINE.findall(text)


def units(text: str, encoding: str) -> int:
    """Length of `text` in the position encoding's code units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _line_start(lines: list[str], index: int, encoding: str) -> types.Position:
    """Start of line `index`; `len(lines)` means the end of the document."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return types.Position(line=index, character=0)
    last = len(lines) - 1
    return types.Position(line=last, character=units(lines[last], encoding))


def hunk_edits(
    old: str,
    new: str,
    *,
    encoding: str = types.PositionEncodingKind.Utf16,
    annotation_id: str | None = None,
) -> list[types.TextEdit | types.AnnotatedTextEdit]:
    """Edits turning `old` into `new`, one per differing run of lines.

    Ranges refer to `old` (LSP applies all edits of one TextDocumentEdit against the original),
    in document order, never overlapping. With `annotation_id` they are `AnnotatedTextEdit`s, so
    a client honouring the annotation's `needsConfirmation` previews them before applying.
    """
    a, b = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        rng = types.Range(start=_line_start(a, i1, encoding), end=_line_start(a, i2, encoding))
        text = "".join(b[j1:j2])
        if annotation_id is None:
            edits.append(types.TextEdit(range=rng, new_text=text))
        else:
            edits.append(
                types.AnnotatedTextEdit(range=rng, new_text=text, annotation_id=annotation_id)
            )
    return edits


#: The change annotation of a proposal's hunks (one per edit; the client previews them).
ANNOTATION_ID = "lessonl-proposal"


def proposal_edit(
    uri: str,
    version: int | None,
    old: str,
    new: str,
    *,
    label: str,
    summary: str,
    encoding: str = types.PositionEncodingKind.Utf16,
    document_changes: bool = True,
    annotations: bool = True,
) -> types.WorkspaceEdit:
    """The proposal `old` -> `new` of document `uri` as one previewed workspace edit.

    With `document_changes` (the client's `workspaceEdit.documentChanges`) the edit names the
    document's `version`, so a client refuses it if the text moved on; with `annotations` too
    (`changeAnnotationSupport`) every hunk carries an annotation with `needsConfirmation`, which
    makes VS Code open its Refactor Preview. A bare client gets plain `changes`.
    """
    annotated = document_changes and annotations
    hunks = hunk_edits(
        old, new, encoding=encoding, annotation_id=ANNOTATION_ID if annotated else None
    )
    if not document_changes:  # no annotation id was passed, so every hunk is a plain TextEdit
        return types.WorkspaceEdit(changes={uri: cast("list[types.TextEdit]", hunks)})
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=hunks,
            )
        ],
        change_annotations=(
            {
                ANNOTATION_ID: types.ChangeAnnotation(
                    label=label, needs_confirmation=True, description=summary
                )
            }
            if annotations
            else None
        ),
    )
