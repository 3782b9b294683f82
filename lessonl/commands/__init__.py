"""One module per `lessonl` subcommand, each exposing `run(args) -> int` (see lessonl.cli)."""
