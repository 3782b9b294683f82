"""`lessonl bench`: run a suite of problems with several strategies and report the metrics.

- `suite`: discover the problems of `benchmarks/<suite>/` (`--list`);
- `strategies/`: LessonL and the methods the paper compares it with, one module each;
- `runner`: resumable execution of problem x strategy pairs;
- `metrics`: docs/method.md section 6;
- `report`: results.json, report.md and the PNG plots.
"""
