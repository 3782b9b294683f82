"""The LessonL language server (import name `lessonl_server`)."""
