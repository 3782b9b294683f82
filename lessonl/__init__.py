"""LessonL: a team of LLM agents that optimizes code and learns from each other's lessons."""

__version__ = "0.1.0"
