"""A tiny text toolkit: a real package with a tests/ folder, for LessonL's automatic target."""

from .words import Counter, dedupe, normalize

__all__ = ["Counter", "dedupe", "normalize"]
