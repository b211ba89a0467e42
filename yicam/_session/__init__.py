"""One camera's session: the connection settings, the asyncio driver, the session and its events."""
