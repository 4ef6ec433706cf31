"""What a GUI user waits for: ``genmove`` latency of the GTP engine over one whole game.

    python benchmarks/bench_genmove.py --threads 1 [--model data/policy.safetensors] [-- extra gtp options]

Starts ``play.py gtp`` as a GUI would (one process, a pipe each way), lets the engine play
both colours with ``genmove b`` / ``genmove w`` until two passes, a resignation or the move
cap, and times every round trip (command written -> answer read).  Reports the median,
95th percentile and maximum in milliseconds, and the engine's start-up time (up to the
answer to the first command, which includes loading torch, the model and numba's cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ask(engine: subprocess.Popen, command: str) -> str:
    """Send one GTP command and return the answer text (without the leading '= ')."""
    engine.stdin.write(command + "\n")
    engine.stdin.flush()
    lines = []
    while True:
        line = engine.stdout.readline()
        if not line:
            raise RuntimeError(f"engine closed its output after {command!r}")
        if line.strip() == "" and lines:
            break
        if line.strip():
            lines.append(line.rstrip("\n"))
    answer = "\n".join(lines)
    if not answer.startswith("="):
        raise RuntimeError(f"{command!r} failed: {answer}")
    return answer[1:].strip()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model file (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-moves", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("gtp_options", nargs="*", help="extra options for play.py gtp (after --)")
    args = parser.parse_args()

    command = [sys.executable, str(REPO / "play.py"), "gtp", "--threads", str(args.threads), *args.gtp_options]
    if args.model:
        command += ["--model", args.model]
    started = time.perf_counter()
    engine = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        ask(engine, "boardsize 19")
        startup = time.perf_counter() - started
        ask(engine, "komi 7.5")
        ask(engine, "clear_board")
        times, moves, passes = [], [], 0
        color = "b"
        while len(moves) < args.max_moves:
            sent = time.perf_counter()
            vertex = ask(engine, f"genmove {color}").lower()
            times.append(time.perf_counter() - sent)
            moves.append(vertex)
            if vertex == "resign":
                break
            passes = passes + 1 if vertex == "pass" else 0
            if passes == 2:
                break
            color = "w" if color == "b" else "b"
        ask(engine, "quit")
    finally:
        engine.stdin.close()
        engine.wait(timeout=30)
    ms = [t * 1000 for t in times]
    report = {
        "moves": len(moves),
        "threads": args.threads,
        "startup_s": round(startup, 2),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "last_move": moves[-1],
    }
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))


if __name__ == "__main__":
    main()
