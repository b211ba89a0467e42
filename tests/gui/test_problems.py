"""Failure wording and the raw command line, without a window."""

from __future__ import annotations

import pytest

from yicam import (
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    CardError,
    SessionHeldError,
    UnsafeOperationError,
)
from yicam.gui.log_model import parse_raw
from yicam.gui.problems import clean_text, explain


def test_each_failure_has_its_own_title() -> None:
    titles = {
        explain(CameraTimeoutError("x"), "cam", connecting=True).title,
        explain(CameraConnectionError("x"), "cam", connecting=True).title,
        explain(CameraConnectionError("x"), "cam").title,
        explain(SessionHeldError(-3, 257)).title,
        explain(CardError(-27, 4)).title,
        explain(CameraError(-17, 769)).title,
        explain(CameraError(-13, 2)).title,
        explain(UnsafeOperationError("stop recording first")).title,
    }
    assert len(titles) == 8


def test_a_drop_offers_reconnect_and_a_refused_connect_does_not() -> None:
    assert explain(CameraConnectionError("lost"), "cam").reconnect
    assert not explain(CameraConnectionError("refused"), "cam", connecting=True).reconnect


def test_a_refusal_gives_the_cameras_reason() -> None:
    problem = explain(CameraError(-13, 2))
    assert problem.title == "The camera refused"
    assert problem.hint == "invalid option value (rval -13)"


def test_camera_text_loses_control_characters() -> None:
    assert clean_text("a\x1b[2Jb\x07c\nd") == "a?[2Jb?c\nd"
    assert len(clean_text("x" * 900)) == 500


def test_raw_command_parses_like_yicam_raw() -> None:
    assert parse_raw("13") == (13, {})
    assert parse_raw('get_setting {"type": "app_status"}') == (1, {"type": "app_status"})
    assert parse_raw("0x101") == (257, {})
    for bad in ("", "nope", "1 [1]", "1 {bad", '1 {"token": 5}'):
        with pytest.raises(ValueError, match=r"."):
            parse_raw(bad)
