"""Soak test of `sync` (not a test: a script that prints figures): no file lost, no wrong bytes.

An emulator in its own process serves a card of mixed files (photos, videos, sidecars, an empty
file) with the `drop-data`, `slow-data` and `drop` faults. Each run copies the card afresh and
runs `Camera.sync(dest, include_sidecars=True, delete_after=True)` in a child process with
`reconnect=True`; in some runs the child is killed (SIGKILL) at a random moment, and the next
run resumes into the same folder from the card as the killed run left it. After every run:

- wrong bytes under a final name: a file in the folder, under a camera name, whose bytes are
  not the camera file's (goal 0; checked after killed runs too);
- files lost: a camera file that is neither on the card any more nor, byte for byte, in the
  folder (goal 0; `delete_after` deletes only what was copied and checked);
- files verified: camera files found byte for byte in the folder after a finished run.

    python benchmarks/sync_soak.py [--runs 50] [--kill 0.3] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator_process import emulator_process

CLIENT = """
import asyncio, json, sys
from yicam import Camera, ReconnectPolicy
async def main():
    port, data_port, http_port = (int(p) for p in sys.argv[1:4])
    policy = ReconnectPolicy(initial_delay=0.1, max_delay=1.0)
    cam = Camera("127.0.0.1", port, data_port=data_port, http_port=http_port, timeout=3.0,
                 event_timeout=10.0, reconnect=policy)
    for _ in range(20):  # the first session may be dropped too
        try:
            await cam.connect()
            break
        except Exception:
            await asyncio.sleep(0.2)
    try:
        report = await cam.sync(sys.argv[4], include_sidecars=True, delete_after=True,
                                retries=5, stall_timeout=5.0)
    finally:
        await cam.close()
    print(json.dumps({"retries": report.retries, "ok": report.ok,
                      "counts": {s: report.count(s) for s in
                                 ("downloaded", "present", "skipped", "failed")}}))
asyncio.run(main())
"""


def make_card(master: Path, rng: random.Random) -> dict[str, bytes]:
    """A card of mixed files; returns `NNNMEDIA/NAME` -> bytes."""
    files: dict[str, bytes] = {}
    for folder, count in (("100MEDIA", 6), ("101MEDIA", 4)):
        for n in range(count):
            stem = f"YDXJ{n + (0 if folder == '100MEDIA' else 100):04d}"
            if n % 2:
                files[f"{folder}/{stem}.mp4"] = os.urandom(rng.randint(600_000, 2_500_000))
                files[f"{folder}/{stem}_thm.mp4"] = os.urandom(rng.randint(20_000, 60_000))
            else:
                files[f"{folder}/{stem}.jpg"] = os.urandom(rng.randint(80_000, 400_000))
                files[f"{folder}/{stem}.THM"] = os.urandom(rng.randint(4_000, 9_000))
    files["100MEDIA/EMPTY.jpg"] = b""
    for name, data in files.items():
        path = master / "DCIM" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def reset_card(master: Path, sd: Path) -> None:
    """Put the master card's DCIM back on the emulator's card."""
    shutil.rmtree(sd / "DCIM", ignore_errors=True)
    shutil.copytree(master / "DCIM", sd / "DCIM")


def check(files: dict[str, bytes], sd: Path, dest: Path) -> tuple[int, int, int]:
    """(verified, lost, wrong bytes under a final name) for this card and folder."""
    verified = lost = 0
    for name, data in files.items():
        local = dest / name
        copied = local.is_file() and local.read_bytes() == data
        verified += copied
        lost += not copied and not (sd / "DCIM" / name).is_file()
    wrong = 0
    for path in dest.rglob("*"):
        if path.is_file() and not path.name.startswith(".yicam-"):
            name = path.relative_to(dest).as_posix()
            wrong += files.get(name) != path.read_bytes()
    return verified, lost, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--kill", type=float, default=0.3, help="share of runs killed")
    parser.add_argument("--drop-data", type=float, default=0.15)
    parser.add_argument("--slow-data", type=int, default=8192, help="KiB/s")
    parser.add_argument("--seed", type=int, default=1, help="the card and the kill times")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="yicam-soak-"))
    stack = contextlib.ExitStack()
    totals = {"runs": 0, "killed": 0, "verified": 0, "lost": 0, "wrong": 0, "retries": 0}
    failed_files = 0
    started = time.monotonic()
    try:
        master, sd = work / "master", work / "sd"
        files = make_card(master, rng)
        reset_card(master, sd)
        # No seed: a seeded emulator drops every control connection at the same byte.
        faults = {"drop_data": args.drop_data, "slow_data": args.slow_data, "drop": True}
        emulator = emulator_process(model="yi4k", sd=str(sd), faults=faults)
        ports = [str(p) for p in stack.enter_context(emulator)[:3]]
        resume_into: Path | None = None
        for run in range(args.runs):
            if resume_into is None:
                reset_card(master, sd)
                dest = work / f"dest{run}"
            else:
                dest = resume_into
            kill_at = rng.uniform(0.1, 3.0) if rng.random() < args.kill else None
            child = subprocess.Popen(
                [sys.executable, "-c", CLIENT, *ports, str(dest)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            killed = False
            try:
                out, err = child.communicate(timeout=kill_at if kill_at is not None else 600)
            except subprocess.TimeoutExpired:
                child.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
                out, err = child.communicate()
                killed = True
            totals["runs"] += 1
            verified, lost, wrong = check(files, sd, dest)
            totals["lost"] += lost
            totals["wrong"] += wrong
            if killed:
                totals["killed"] += 1
                resume_into = dest
                print(f"run {run + 1:2d}: killed at {kill_at:.1f} s; {verified} copied so far")
                continue
            resume_into = None
            if child.returncode != 0:
                print(f"run {run + 1:2d}: client failed:\n{err.strip()}")
                continue
            summary = json.loads(out)
            totals["verified"] += verified
            totals["retries"] += summary["retries"]
            failed_files += summary["counts"]["failed"]
            print(f"run {run + 1:2d}: {summary['counts']}, {summary['retries']} retries, "
                  f"{verified}/{len(files)} verified, lost {lost}, wrong {wrong}")  # fmt: skip
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"runs: {totals['runs']} ({totals['killed']} killed)  "
        f"files verified: {totals['verified']}  files lost: {totals['lost']} (goal 0)  "
        f"wrong bytes under a final name: {totals['wrong']} (goal 0)  "
        f"total retries: {totals['retries']}  files failed after retries: {failed_files}  "
        f"({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
