"""`yicam live-qr`: the Yi 4K Live-mode QR code, read back from the PNG by a QR reader."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import pytest
import zxingcpp
from click.testing import CliRunner

from yicam.cli.main import cli
from yicam.live import live_qr_payload


def read_qr(path: Path) -> Any:
    """The one QR code in a PNG file, as a reader app on a phone would decode it."""
    container: Any = av.open(io.BytesIO(path.read_bytes()))
    with container:
        image = next(container.decode(video=0)).to_ndarray(format="gray")
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1
    return codes[0]


def live_qr(tmp_path: Path, *args: str) -> tuple[Any, str]:
    out = tmp_path / "qr.png"
    result = CliRunner().invoke(cli, ["live-qr", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return read_qr(out), result.output


def test_the_code_holds_the_sdks_text_byte_for_byte(tmp_path: Path) -> None:
    args = ["--ssid", "MyNet", "--password", "secret", "--url", "rtmp://host/app/key"]
    code, output = live_qr(tmp_path, *args, "--res", "720p", "--rate", "middle")
    # The example of the SDK's form in rigs.md 3.1 (key order, rate "2" for Middle).
    expected = b'{"ssid":"MyNet","pwd":"secret","res":"720p","rate":"2","dur":"0","url":"rtmp://host/app/key"}'
    assert code.bytes == expected
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.ec_level == "L"  # ZXing's default, as the SDK uses it
    # The secrets are only in the picture.
    assert "secret" not in output
    assert "key" not in output


def test_rates_resolutions_and_duration(tmp_path: Path) -> None:
    url = "rtmp://a.rtmp.youtube.com/live2/abcd-efgh"
    for rate, sent in (("auto", "0"), ("low", "1"), ("high", "3")):
        args = ["--ssid", "wifi-home", "--password", "wifi-pass", "--url", url, "--rate", rate]
        code, _ = live_qr(tmp_path, *args, "--res", "480p", "--duration", "1h30m")
        assert (
            code.bytes
            == (
                '{"ssid":"wifi-home","pwd":"wifi-pass","res":"480p",'
                f'"rate":"{sent}","dur":"5400","url":"{url}"}}'
            ).encode()
        )


def test_network_name_and_password_are_quoted_as_android_does(tmp_path: Path) -> None:
    args = ["--ssid", 'Cafe "A/B"', "--password", "p\\w\tx", "--url", "rtmp://h/a/k?x=1&y=/"]
    code, _ = live_qr(tmp_path, *args)
    # org.json on Android escapes " \ / and tabs; the URL goes in as it is.
    assert code.bytes == (
        b'{"ssid":"Cafe \\"A\\/B\\"","pwd":"p\\\\w\\tx","res":"1080p","rate":"0",'
        b'"dur":"0","url":"rtmp://h/a/k?x=1&y=/"}'
    )


def test_latin1_text_is_latin1_and_beyond_it_utf8() -> None:
    assert b'"ssid":"Caf\xe9"' in live_qr_payload("Café", "", "rtmp://h/a")
    assert '"ssid":"家"'.encode() in live_qr_payload("家", "", "rtmp://h/a")
    assert b'"pwd":"\\u0001"' in live_qr_payload("n", "\x01", "rtmp://h/a")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "https://example.invalid/x"], "only to rtmp:// URLs"),
        (["--url", 'rtmp://h/a"b'], "must not hold quotes"),
        (["--ssid", "x" * 33], "1 to 32 bytes"),
        (["--duration", "soon"], "invalid duration"),
    ],
)
def test_values_the_camera_cannot_use_are_refused_without_echoing_secrets(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--ssid": "net", "--password": "hunter22", "--url": "rtmp://h/app/streamkey"}
    for name, value in zip(args[::2], args[1::2], strict=True):
        base[name] = value
    argv = [item for pair in base.items() for item in pair]
    out = tmp_path / "qr.png"
    result = CliRunner().invoke(cli, ["live-qr", *argv, "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert "hunter22" not in result.output
    assert "streamkey" not in result.output
    assert not out.exists()
    assert not (tmp_path / "qr.png.part").exists()


def test_the_password_is_asked_for_when_not_given(tmp_path: Path) -> None:
    out = tmp_path / "qr.png"
    argv = ["live-qr", "--ssid", "net", "--url", "rtmp://h/a/k", "-o", str(out)]
    result = CliRunner().invoke(cli, argv, input="typed-secret\n")
    assert result.exit_code == 0, result.output
    assert "typed-secret" not in result.output
    assert b'"pwd":"typed-secret"' in read_qr(out).bytes
