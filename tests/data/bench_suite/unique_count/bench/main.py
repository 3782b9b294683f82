"""check: compare with len(set(...)) on fresh random lists (empty, one item, repeats);
bench: time the function on fresh inputs, one LESSONL_TIME_S line per repetition."""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from unique_count import unique_count


def main() -> int:
    rng = random.Random()
    if sys.argv[1] == "check":
        for n in (0, 1, 2, 50, 500):
            items = [rng.randrange(max(1, n // 3)) for _ in range(n)]
            got = unique_count(items)
            if got != len(set(items)):
                print(f"n={n}: expected {len(set(items))}, got {got}")
                return 1
        return 0
    for _ in range(3):
        items = [rng.randrange(1500) for _ in range(3000)]
        t0 = time.perf_counter()
        unique_count(items)
        print(f"LESSONL_TIME_S={time.perf_counter() - t0:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
