"""The workload `lessonl sweep -- python bench.py` profiles and times: both functions on
inputs large enough that their quadratic loops dominate."""

from listkit import common, dedupe

words = [f"w{i % 1500}" for i in range(6000)]
a = list(range(3000))
b = list(range(0, 6000, 2))
for _ in range(2):
    assert len(dedupe(words)) == 1500
    assert len(common(a, b)) == 1500
