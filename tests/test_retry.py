"""`RetryPolicy`: one idea of which transfer failures are temporary, and one capped backoff."""

from __future__ import annotations

import pytest

from yicam import (
    CameraBusyError,
    CameraConnectionError,
    CameraTimeoutError,
    CardError,
    DataPortUnavailableError,
    InvalidOperationError,
    InvalidPathError,
    LocalFileError,
    MsgId,
    NotConnectedError,
    OutcomeUnknownError,
    ProtocolError,
    RemoteFileNotFoundError,
    RetryPolicy,
    SizeMismatchError,
    TransferCancelledError,
    TransferError,
    UnsafeNameError,
    UnsafeOperationError,
)

GET = MsgId.GET_FILE

TEMPORARY = [
    CameraConnectionError("connection closed after 10 of 100 bytes"),
    CameraTimeoutError("no data for 30 s"),
    NotConnectedError("reconnecting"),
    OutcomeUnknownError("dropped after the request"),
    DataPortUnavailableError("cannot open the data port"),
    CameraBusyError(-21, GET),
    InvalidOperationError(-14, GET),
    ProtocolError("garbled reply"),
    TransferError("MD5 mismatch"),
]
FINAL = [
    TransferCancelledError("cancelled"),
    SizeMismatchError("the camera announces 5 bytes, its listing says 6"),
    LocalFileError("no space left on the disk"),
    UnsafeNameError("refusing the camera file name '..'"),
    UnsafeOperationError("refusing to list a file"),
    InvalidPathError(-26, GET),
    CardError(-27, GET),
    RemoteFileNotFoundError("HTTP 404"),
    OSError("permission denied"),
    ValueError("not a camera error at all"),
]


@pytest.mark.parametrize("error", TEMPORARY, ids=lambda e: type(e).__name__)
def test_temporary_failures_are_retried(error: Exception) -> None:
    assert RetryPolicy().temporary(error)


@pytest.mark.parametrize("error", FINAL, ids=lambda e: type(e).__name__)
def test_final_failures_are_not(error: Exception) -> None:
    assert not RetryPolicy().temporary(error)


def test_backoff_grows_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the tests' own zero delays (conftest)
    assert [RetryPolicy().delay(n) for n in range(1, 6)] == [1.0, 3.0, 8.0, 8.0, 8.0]
    fast = RetryPolicy(attempts=5, initial_delay=0.5, factor=2.0, max_delay=3.0)
    assert [fast.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "changes", [{"attempts": -1}, {"initial_delay": -1.0}, {"max_delay": -2.0}, {"factor": 0.5}]
)
def test_nonsense_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="retries need"):
        RetryPolicy(**changes)  # type: ignore[arg-type]
