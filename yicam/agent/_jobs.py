"""Jobs on the agent: tether, time-lapse and sync run where the camera is.

A tool asks the agent (`job_start` on `<agent>/cmd`) to run a job on one of its cameras; the
files land in the agent's folder (`<camera>/NNNMEDIA/NAME`, as `sync` lays them out) and stay
there until `yicam sync --from-agent` copies them. Each job's report (status, every file with
how it was verified, the time-lapse or sync report at the end) is published retained on
`<agent>/<camera>/job/<id>` whenever it changes, and written to the agent's folder
(`.yicam-job-<id>.json`), so a job outlives a broker restart and an agent that was killed:
a tether or sync that was running starts again when the agent does, and a tether fetches what
the camera made meanwhile (the card's files at the job's start are remembered). A time-lapse
cut by the agent's end is reported `interrupted`; it is not taken up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yicam
from yicam import cancel_and_wait

from ._codec import encode

if TYPE_CHECKING:
    from ._agent import Agent, AgentCamera

__all__ = ["KINDS", "Job", "Jobs"]

_LOG = logging.getLogger(__name__)
KINDS = ("tether", "timelapse", "sync")
_KEEP = 20  # finished jobs per camera whose reports stay on the broker and in the folder
_OPTIONS: dict[str, dict[str, tuple[type, ...]]] = {
    "tether": {"delete_after": (bool,), "include_sidecars": (bool,)},
    "sync": {"delete_after": (bool,), "include_sidecars": (bool,)},
    "timelapse": {
        "every": (int, float),
        "count": (int,),
        "duration": (int, float),
        "clip": (int, float),
        "min_free": (int,),
        "download": (bool,),
        "delete_after": (bool,),
    },
}


@dataclasses.dataclass
class Job:
    """One job's state, as the agent keeps, publishes and stores it."""

    id: str
    camera: str
    kind: str
    options: dict[str, Any]
    started: float
    status: str = "running"  # running, finished, stopped, failed, interrupted
    ended: float | None = None
    error: str | None = None
    files: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    progress: dict[str, Any] = dataclasses.field(default_factory=dict)
    result: Any = None  # the encoded TimelapseReport or SyncReport
    baseline: list[str] | None = None  # a tether's camera paths at its start (stored only)
    resumed: int = 0

    def report(self, agent: str) -> dict[str, Any]:
        """The published report (everything but the baseline)."""
        data = dataclasses.asdict(self)
        data.pop("baseline")
        data["agent"] = agent
        return data

    @classmethod
    def load(cls, data: Any) -> Job:
        """A stored job. Raises `ValueError` (or `TypeError`) for a file it did not write."""
        if not isinstance(data, dict):
            raise ValueError("not a job")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def check_options(kind: Any, options: Any) -> dict[str, Any]:
    """The options of a job of `kind`, checked. Raises `ValueError`."""
    if kind not in KINDS:
        raise ValueError(f"unknown job {kind!r}; one of {', '.join(KINDS)}")
    if not isinstance(options, dict):
        raise ValueError("job options must be an object")
    accepted = _OPTIONS[kind]
    for name, value in options.items():
        types = accepted.get(name)
        if types is None:
            raise ValueError(f"{kind}: unexpected option {name!r}")
        if value is not None and (
            not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        ):
            raise ValueError(f"{kind}: option {name!r} has the wrong type")
    if kind == "timelapse" and not isinstance(options.get("every"), int | float):
        raise ValueError("timelapse: option 'every' (seconds) is required")
    return options


class Jobs:
    """The jobs of one agent: started, stopped, stored, published and taken up again."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._timers: dict[str, yicam.Intervalometer] = {}

    # -- requests ------------------------------------------------------------------------------

    async def start(self, args: dict[str, Any]) -> dict[str, Any]:
        """`job_start`: run a job on a camera; returns its first report.

        Raises `ValueError` for an unknown camera, job or option, `UnsafeOperationError` when the
        camera already runs a job, `NotConnectedError` when the agent has no session now.
        """
        owned = self.agent.owned(args.get("camera"))
        kind = args.get("kind")
        options = check_options(kind, args.get("options", {}))
        assert isinstance(kind, str)
        if kind == "timelapse":  # the same checks as the Intervalometer's, before anything runs
            yicam.Intervalometer(owned.cam, **_timer_options(options))
        if any(j.camera == owned.name and j.status == "running" for j in self.jobs.values()):
            raise yicam.UnsafeOperationError(
                f"camera {owned.name} already runs a job on agent {self.agent.name}: stop it first"
            )
        if not owned.cam.connected:
            raise yicam.NotConnectedError(
                f"agent {self.agent.name} has no session with {owned.name}"
            )
        job = Job(uuid.uuid4().hex[:12], owned.name, kind, options, time.time())
        if kind == "tether":
            job.baseline = _paths(await owned.cam.list_media())
        self.jobs[job.id] = job
        await self._changed(job)
        self._launch(job)
        return job.report(self.agent.name)

    async def stop(self, args: dict[str, Any]) -> dict[str, Any]:
        """`job_stop`: end a job (a time-lapse finishes its shot); returns its last report."""
        job = self._job(args.get("job"))
        timer = self._timers.get(job.id)
        task = self._tasks.get(job.id)
        if timer is not None:
            timer.stop()
            if task is not None:
                await asyncio.wait([task])
        elif task is not None:
            job.status = "stopped"
            await cancel_and_wait(task)
        return job.report(self.agent.name)

    async def reports(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """`jobs`: the reports of the jobs the agent knows (of one camera, or all)."""
        camera = args.get("camera")
        return [
            j.report(self.agent.name)
            for j in sorted(self.jobs.values(), key=lambda j: j.started)
            if camera is None or j.camera == camera
        ]

    def _job(self, job_id: Any) -> Job:
        job = self.jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise ValueError(f"agent {self.agent.name} has no job {job_id!r}")
        return job

    # -- the agent's life ------------------------------------------------------------------------

    def resume(self) -> None:
        """Load the stored jobs; take up the tethers and syncs that were running."""
        for path in sorted(self.agent.folder.glob(".yicam-job-*.json")):
            try:
                job = Job.load(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                _LOG.warning("ignoring an unreadable job file %s", path)
                continue
            if job.camera not in self.agent.cameras:
                continue
            self.jobs[job.id] = job
            if job.status != "running":
                continue
            if job.kind == "timelapse":
                job.status, job.ended = "interrupted", time.time()
                job.error = "the agent stopped during the time-lapse"
                self._store(job)
                continue
            job.resumed += 1
            self._launch(job)

    async def publish_all(self) -> None:
        """Publish every report again (after a connect: the broker may have lost them)."""
        for job in list(self.jobs.values()):
            await self._publish(job)

    async def close(self) -> None:
        """Stop the jobs' tasks; running jobs stay `running` in their files, to be taken up."""
        await cancel_and_wait(list(self._tasks.values()))

    # -- running ---------------------------------------------------------------------------------

    def _launch(self, job: Job) -> None:
        task = asyncio.create_task(self._run(job), name=f"job {job.kind} {job.camera}")
        self._tasks[job.id] = task
        owned = self.agent.cameras[job.camera]
        owned.busy[job.id] = job.kind
        self.agent.spawn(self.agent.refresh_state(job.camera))

    async def _run(self, job: Job) -> None:
        owned = self.agent.cameras[job.camera]
        closing = False
        try:
            await _connected(owned.cam)
            runner = {"tether": self._tether, "sync": self._sync, "timelapse": self._timelapse}
            await runner[job.kind](job, owned)
            if job.status == "running":
                job.status = "finished"
        except asyncio.CancelledError:
            if job.status == "running":  # the agent is stopping: taken up when it starts again
                closing = True
                raise
        except (yicam.YicamError, OSError, ValueError) as exc:
            job.status, job.error = "failed", str(exc)
        finally:
            self._tasks.pop(job.id, None)
            self._timers.pop(job.id, None)
            owned.busy.pop(job.id, None)
            if not closing:
                job.ended = time.time()
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._finish(job))

    async def _finish(self, job: Job) -> None:
        await self._changed(job)
        await self.agent.refresh_state(job.camera)
        await self._forget_old(job.camera)

    def _on_file(self, job: Job, entry: yicam.SyncEntry) -> None:
        job.files.append(self._entry(entry))
        self.agent.spawn(self._changed(job))

    def _entry(self, entry: yicam.SyncEntry) -> dict[str, Any]:
        local = entry.local
        if local is not None:
            with contextlib.suppress(ValueError):
                local = local.resolve().relative_to(self.agent.folder.resolve())
        data: dict[str, Any] = encode(dataclasses.replace(entry, local=local))
        return data

    def _folder(self, owned: AgentCamera) -> Path:
        return self.agent.folder / owned.name

    async def _tether(self, job: Job, owned: AgentCamera) -> None:
        known = set(job.baseline or ())
        known |= {f["path"] for f in job.files if f.get("status") == "downloaded"}
        tether = yicam.Tether(
            owned.cam,
            self._folder(owned),
            delete_after=bool(job.options.get("delete_after")),
            include_sidecars=bool(job.options.get("include_sidecars")),
            on_file=lambda entry: self._on_file(job, entry),
            known=known,
        )
        try:
            await tether.run()
        finally:
            await tether.close()

    async def _sync(self, job: Job, owned: AgentCamera) -> None:
        report = await owned.cam.sync(
            self._folder(owned),
            include_sidecars=bool(job.options.get("include_sidecars")),
            delete_after=bool(job.options.get("delete_after")),
        )
        job.files = [self._entry(e) for e in report.entries]
        job.result = encode(report)
        if not report.ok:
            job.error = f"{report.count('failed')} file(s) failed"

    async def _timelapse(self, job: Job, owned: AgentCamera) -> None:
        tether = None
        if job.options.get("download"):
            tether = yicam.Tether(
                owned.cam,
                self._folder(owned),
                delete_after=bool(job.options.get("delete_after")),
                on_file=lambda entry: self._on_file(job, entry),
            )

        def on_shot(shot: yicam.Shot) -> None:
            job.progress = {"shots": timer.total, "done": len(timer.shots), "last": encode(shot)}
            self.agent.spawn(self._changed(job))

        timer = yicam.Intervalometer(
            owned.cam, tether=tether, on_shot=on_shot, **_timer_options(job.options)
        )
        self._timers[job.id] = timer
        report = await timer.run()
        job.result = encode(report)
        if report.stopped == "error":
            job.status, job.error = "failed", report.error
        elif report.stopped in ("stopped", "cancelled"):
            job.status = "stopped"

    # -- publishing and storing ---------------------------------------------------------------

    async def _changed(self, job: Job) -> None:
        await asyncio.to_thread(self._store, job)
        await self._publish(job)

    async def _publish(self, job: Job) -> None:
        from ._link import LinkDown

        topic = self.agent.topics.job(self.agent.name, job.camera, job.id)
        with contextlib.suppress(LinkDown):
            await self.agent.link.publish(
                topic, json.dumps(job.report(self.agent.name)), retain=True
            )

    def _store(self, job: Job) -> None:
        path = self.agent.folder / f".yicam-job-{job.id}.json"
        partial = path.with_suffix(".json.partial")
        try:
            partial.write_text(json.dumps(dataclasses.asdict(job)), "utf-8")
            os.replace(partial, path)
        except OSError as exc:
            _LOG.warning("cannot store job %s: %s", job.id, exc)

    async def _forget_old(self, camera: str) -> None:
        """Keep the reports of the last `_KEEP` finished jobs of a camera (their files stay)."""
        from ._link import LinkDown

        done = sorted(
            (j for j in self.jobs.values() if j.camera == camera and j.status != "running"),
            key=lambda j: j.started,
        )
        for job in done[:-_KEEP]:
            del self.jobs[job.id]
            (self.agent.folder / f".yicam-job-{job.id}.json").unlink(missing_ok=True)
            topic = self.agent.topics.job(self.agent.name, camera, job.id)
            with contextlib.suppress(LinkDown):
                await self.agent.link.publish(topic, b"", retain=True)  # clears the retained report


def _timer_options(options: dict[str, Any]) -> dict[str, Any]:
    duration = options.get("duration")
    clip = options.get("clip")
    timer: dict[str, Any] = {
        "every": float(options["every"]),
        "count": options.get("count"),
        "until": None if duration is None else timedelta(seconds=float(duration)),
        "mode": "clip" if clip else "photo",
        "clip_seconds": clip,
    }
    if options.get("min_free") is not None:
        timer["min_free"] = options["min_free"]
    return timer


def _paths(items: list[yicam.MediaItem]) -> list[str]:
    return [f.path for item in items for f in (item, *item.sidecars)]


async def _connected(cam: yicam.Camera) -> None:
    """Wait for the agent's session (a job taken up at start waits for the camera)."""
    while not cam.connected:  # noqa: ASYNC110 - the agent's keeper opens it; no event says so
        await asyncio.sleep(0.2)
