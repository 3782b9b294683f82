"""check: compare with a linear oracle on fresh random lists (empty, one item, negatives);
bench: time the function on fresh inputs, one LESSONL_TIME_S line per repetition."""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from prefix_max import prefix_max


def oracle(values):
    out, best = [], None
    for v in values:
        best = v if best is None or v > best else best
        out.append(best)
    return out


def main() -> int:
    rng = random.Random()
    if sys.argv[1] == "check":
        for n in (0, 1, 2, 50, 300):
            values = [rng.randint(-1000, 1000) for _ in range(n)]
            if prefix_max(values) != oracle(values):
                print(f"n={n}: running maximum differs")
                return 1
        return 0
    for _ in range(3):
        values = [rng.random() for _ in range(1500)]
        t0 = time.perf_counter()
        prefix_max(values)
        print(f"LESSONL_TIME_S={time.perf_counter() - t0:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
