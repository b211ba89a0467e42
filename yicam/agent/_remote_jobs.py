"""`RemoteJob`: a tether, time-lapse or sync running on an agent, followed from a tool.

```python
job = await remote_camera.start_job("tether")
await job.follow(lambda report: print(len(report["files"]), "file(s) so far"))
```

The job runs on the agent whether or not anyone follows it; its retained report is the
truth. Its files stay in the agent's folder (`SyncEntry.local` is relative to it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yicam

from ._codec import decode

if TYPE_CHECKING:
    from ._remote import RemoteCamera

__all__ = ["RemoteJob"]

_FOLLOW_POLL = 1.0  # seconds between checks that the broker connection is still up


class RemoteJob:
    """One job of an agent's camera, as its latest report says."""

    def __init__(self, cam: RemoteCamera, report: dict[str, Any]) -> None:
        self.cam = cam
        self.client = cam.client
        self.agent = cam.agent
        self.camera = cam.name
        self.id = str(report["id"])
        self.kind = str(report.get("kind"))
        self._first = report

    def __repr__(self) -> str:
        return f"<RemoteJob {self.kind} {self.id} on {self.agent}/{self.camera}: {self.status}>"

    @property
    def report(self) -> dict[str, Any]:
        """The latest report (JSON, as the agent published it)."""
        return self.client.jobs.get((self.agent, self.camera, self.id), self._first)

    @property
    def status(self) -> str:
        """running, finished, stopped, failed or interrupted."""
        return str(self.report.get("status"))

    @property
    def done(self) -> bool:
        """True once the job has ended, however it ended."""
        return self.status != "running"

    @property
    def error(self) -> str | None:
        """Why the job failed, or why some of its files did."""
        error = self.report.get("error")
        return None if error is None else str(error)

    @property
    def entries(self) -> list[yicam.SyncEntry]:
        """Every file the job handled; `local` is the path in the agent's folder."""
        entries = []
        for data in self.report.get("files") or []:
            try:
                entry = decode(data)
            except ValueError:
                continue
            if isinstance(entry, yicam.SyncEntry):
                entries.append(entry)
        return entries

    @property
    def result(self) -> Any:
        """The `TimelapseReport` or `SyncReport` at the end (None before, and for a tether)."""
        try:
            return decode(self.report.get("result"))
        except ValueError:
            return None

    @property
    def last_shot(self) -> yicam.Shot | None:
        """A time-lapse's latest shot, as its last report says."""
        try:
            shot = decode((self.report.get("progress") or {}).get("last"))
        except ValueError:
            return None
        return shot if isinstance(shot, yicam.Shot) else None

    async def follow(self, on_report: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Return once the job has ended; `on_report(report)` for each report until then.

        Raises `CameraConnectionError` when the broker connection is lost (the job goes on).
        """
        last: dict[str, Any] | None = None
        while True:
            report = self.report
            if report is not last:
                last = report
                if on_report is not None:
                    on_report(report)
            if self.done:
                return
            if self.client.link.down.is_set():
                raise yicam.CameraConnectionError(
                    f"lost the broker at {self.client.url}; the {self.kind} job goes on on "
                    f"agent {self.agent}"
                )
            await self.client.wait_for(self._changed_since(last), _FOLLOW_POLL)

    def _changed_since(self, seen: dict[str, Any] | None) -> Callable[[], bool]:
        return lambda: self.report is not seen

    async def stop(self) -> None:
        """End the job (a time-lapse finishes its shot first); its last report follows.

        Raises `CameraConnectionError` when the agent cannot be reached.
        """
        timeout = self.cam.timeout * 2 + self.cam.event_timeout + 10
        report = await self.client.request(
            self.agent, None, "job_stop", {"job": self.id}, timeout=timeout
        )
        if isinstance(report, dict) and (self.agent, self.camera, self.id) not in self.client.jobs:
            self._first = report
