"""The embedded model server's resident memory over many calls (issue 30); a script, not a test.

    .venv/bin/python benchmarks/local_server_rss.py [--calls 12] [--prompt-tokens 200 6000]
                                                    [--max-tokens 16]

Starts the embedded server the way a run does (`lessonl.llm.local.acquire`), then makes
`--calls` chat calls whose prompts grow evenly from the first to the second `--prompt-tokens`
figure (about: a repeated line of code), and prints the server's RSS after each call and its
peak. A 34-minute run on a real file grew it from 0.6 to 3.4 GiB: llama-cpp-python's server
defaults to `logits_all = True`, which keeps an n_ctx x n_vocab float32 array of logits (8192
x 151,936 x 4 bytes: 5 GB of address space) and touches one 0.6 MB row per token of the
longest prompt so far. The server now starts with `--logits_all False` (one row per batch
slot instead; LessonL never asks for logprobs), so RSS stays near the model's size whatever the
prompt length. Each call has the machine to itself only on an idle machine: the figures are
memory, not speed.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import psutil

from lessonl.llm import local
from lessonl.llm.retry import RetryPolicy

LINE = "    total += values[i] * weights[i]  # accumulate the weighted sum\n"
TOKENS_PER_LINE = 16  # about, for Qwen2.5-Coder's tokenizer


def tree_rss(pid: int) -> int:
    """RSS of the server process and its children (the server is one process; be safe)."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total


async def main(calls: int, first: int, last: int, max_tokens: int) -> None:
    path = await asyncio.to_thread(local.ensure_model)
    lease = await local.acquire(path)
    try:
        model = lease.client(
            "rss",
            timeout_s=900,
            semaphore=asyncio.Semaphore(1),
            seed=1,
            policy=RetryPolicy(max_retries=0, timeout_retries=0),
        )
        gib = 1 << 30
        start = tree_rss(lease.pid)
        peak = start
        print(f"server pid {lease.pid}: {start / gib:.2f} GiB after start")
        try:
            for n in range(calls):
                tokens = first + (last - first) * n // max(1, calls - 1)
                code = LINE * max(1, tokens // TOKENS_PER_LINE)
                started = time.perf_counter()
                reply = await model.complete(
                    [{"role": "user", "content": f"Summarize this loop:\n{code}"}],
                    temperature=0.0,
                    max_tokens=max_tokens,
                )
                rss = tree_rss(lease.pid)
                peak = max(peak, rss)
                print(
                    f"call {n + 1:2d}/{calls}: prompt {reply.input_tokens:5d} tokens, "
                    f"{time.perf_counter() - started:6.1f} s, RSS {rss / gib:.2f} GiB"
                )
        finally:
            await model.aclose()
        print(f"peak RSS {peak / gib:.2f} GiB (start {start / gib:.2f} GiB)")
    finally:
        lease.release()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--prompt-tokens", type=int, nargs=2, default=(200, 6000))
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.calls, *args.prompt_tokens, args.max_tokens))
