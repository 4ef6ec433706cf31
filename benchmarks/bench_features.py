"""Feature-plane speed on real positions.

    python benchmarks/bench_features.py [--games 30] [--positions 3000] [--sets alphago48,simple]

Replays the first games of a Tygem archive (../shared/data relative to the
repository root), then measures positions/second for

* ``encode``          one position per call (Python wrapper + numba kernel)
* ``encode_batch``    batches of 256 in one numba call, in this process
* ``N worker processes``  the same split over N forked worker processes
                      (multiprocessing), as the data loader runs it; total positions/s
* ``reference``       the pure-Python oracle (few positions), for the ratio

and prints a table.  Compilation is done (or loaded from numba's cache)
before any timing starts.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the sgfmill-only archive reader the feature tests use

from goengine.features import get_feature_set  # noqa: E402
from goengine.features import reference  # noqa: E402
from sgfmill_games import archive_games  # noqa: E402

DEFAULT_ARCHIVE = ROOT.parent / "shared" / "data" / "tygem-9d" / "tygem-9d-2011-01.tar.bz2"
BATCH = 256


def load_positions(archive: Path, games: int, size: int = 19):
    """Stack every position of the first ``games`` 19x19 games in the archive."""
    stones, to_play, ko, recent = [], [], [], []
    for moves, black, white in archive_games(archive, games, size, skip_unreadable=True):
        for s, tp, k, rec, _ in reference.replay(size, moves, black, white):
            stones.append(s)
            to_play.append(tp)
            ko.append(k)
            recent.append(rec)
    return np.array(stones), np.array(to_play), np.array(ko), np.array(recent)


_DATA: tuple = ()  # positions, inherited by forked workers (not pickled per job)


def _worker(args):
    name, lo, hi, size = args
    stones, to_play, ko, recent = (a[lo:hi] for a in _DATA)
    fs = get_feature_set(name)
    out = np.empty((BATCH, fs.num_planes, size, size), np.uint8)
    for i in range(0, len(stones), BATCH):
        j = min(i + BATCH, len(stones))
        fs.encode_batch(stones[i:j], to_play[i:j], ko[i:j], recent[i:j], size, out=out[: j - i])
    return len(stones)


def _warm(name: str) -> None:
    fs = get_feature_set(name)
    fs.encode_batch(np.zeros((1, 361), np.int8), [1], [-1], np.full((1, 8), -1), 19)
    fs.encode(np.zeros(361, np.int8), 1, -1, np.full(8, -1), 19)


def _best(fn, repeat: int) -> float:
    """Fastest of ``repeat`` timings of ``fn()`` in seconds (the machine is shared: noise only adds)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench(name, data, size, procs_list, ref_n, repeat):
    global _DATA
    _DATA = data
    stones, to_play, ko, recent = data
    n = len(stones)
    fs = get_feature_set(name)
    _warm(name)
    rows = []

    out = np.empty((fs.num_planes, size, size), np.uint8)

    def singles_into():
        for i in range(n):
            fs.encode_into(stones[i], to_play[i], ko[i], recent[i], size, out)

    def singles():
        for i in range(n):
            fs.encode(stones[i], to_play[i], ko[i], recent[i], size)

    rows.append(("encode_into (1 per call)", n / _best(singles_into, repeat)))
    rows.append(("encode (1 per call)", n / _best(singles, repeat)))
    rows.append((f"encode_batch ({BATCH}), 1 process", n / _best(lambda: _worker((name, 0, n, size)), repeat)))

    ctx = mp.get_context("fork")
    for procs in procs_list:
        with ctx.Pool(procs, initializer=_warm, initargs=(name,)) as pool:
            pool.map(_worker, [(name, 0, 8, size)] * procs)
            edges = np.linspace(0, n, procs + 1).astype(int)
            jobs = [(name, int(lo), int(hi), size) for lo, hi in zip(edges[:-1], edges[1:])]
            rate = n / _best(lambda: pool.map(_worker, jobs, chunksize=1), repeat)
            rows.append((f"encode_batch ({BATCH}), {procs} worker process{'es' if procs > 1 else ''}", rate))

    if ref_n:
        oracle = reference.encode_alphago if name == "alphago48" else reference.encode_simple
        idx = np.linspace(0, n - 1, ref_n).astype(int)

        def oracle_run():
            for i in idx:
                oracle(stones[i], to_play[i], ko[i], recent[i], size)

        rows.append(("reference (pure Python)", ref_n / _best(oracle_run, 1)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--games", type=int, default=30)
    parser.add_argument("--positions", type=int, default=0, help="cap (0: all positions of the games)")
    parser.add_argument("--sets", default="alphago48,simple")
    parser.add_argument("--procs", default="1,2", help="worker-process counts for the multiprocessing rows")
    parser.add_argument("--reference", type=int, default=40, help="positions for the pure-Python oracle (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per row; the fastest is reported")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    data = load_positions(args.archive, args.games)
    if args.positions:
        data = tuple(a[: args.positions] for a in data)
    print(f"{len(data[0])} positions from {args.games} games of {args.archive.name} "
          f"(replayed in {time.perf_counter() - t:.1f}s)")
    procs = [int(p) for p in args.procs.split(",") if p]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before timing; "
          f"best of {args.repeat} runs per row")
    results = {}
    for name in args.sets.split(","):
        results[name] = bench(name, data, 19, procs, args.reference, args.repeat)
    print()
    print(f"| {'feature set':<11} | {'mode':<38} | {'positions/s':>12} | {'us/position':>11} |")
    print(f"|{'-' * 13}|{'-' * 40}|{'-' * 13}:|{'-' * 12}:|")
    for name, rows in results.items():
        for mode, rate in rows:
            print(f"| {name:<11} | {mode:<38} | {rate:>12,.0f} | {1e6 / rate:>11.1f} |")
        fast = dict(rows).get(f"encode_batch ({BATCH}), 1 process")
        slow = dict(rows).get("reference (pure Python)")
        if fast and slow:
            print(f"| {name:<11} | {'batch (1 process) / reference':<38} | {fast / slow:>11,.0f}x | {'':>11} |")


if __name__ == "__main__":
    main()
