"""The part of the automatic Python target that runs inside the project's own interpreter.

Everything in this package uses the standard library only (pytest is imported when a command
needs it), because it runs under the project's interpreter (its `.venv`, say), which need not
have LessonL or LessonL's dependencies installed. It is started by path,
`<python> <this folder> record|check|bench ...`, and `__main__` loads it under a private name
(`_lessonl_runner`) so that none of its module names can shadow a module of the project.

- `record`: run the project's tests once on the original with a recorder wrapped around the
  function (see `record.py`), keep a bounded, diverse set of calls (`calls.pkl`) and what
  happened (`meta.json`).
- `check`: the variant must reproduce every kept call (`compare.py`) and pass the tests that
  called the function.
- `bench`: time the function over the kept calls (`timing.py`) and print `LESSONL_TIME_S=`;
  with no call that can be replayed, time it inside the tests that call it (`intests.py`).
"""
