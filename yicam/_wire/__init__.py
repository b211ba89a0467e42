"""The wire core: sans-I/O codecs shared by the client and the emulated camera.

No sockets, no asyncio, no PyAV: the emulator imports only this package and `yicam._errors`.
"""
