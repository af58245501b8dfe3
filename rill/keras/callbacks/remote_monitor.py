"""`RemoteMonitor`: posts each epoch's logs to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

from rill.keras.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """POSTs `{"epoch": epoch, **logs}` to `root + path` at the end of each epoch: as JSON
    with `send_as_json=True`, else as a form with the JSON in `field`. A server that cannot
    be reached gives a warning, never an error.

    Args:
        root: the server's root URL.
        path: the path the events are sent to.
        field: the form field holding the JSON (when not `send_as_json`).
        headers: extra HTTP headers.
        send_as_json: send the body as `application/json`.
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: dict | None = None, send_as_json: bool = False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        data = {"epoch": epoch}
        for key, value in (logs or {}).items():
            data[key] = value.item() if hasattr(value, "item") else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(data).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(data)}).encode()
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except (urllib.error.URLError, OSError, ValueError) as e:
            warnings.warn(f"RemoteMonitor: could not reach the server at {self.root} ({e})."
                          f"\nhint: start the server, or check `root` and `path`.",
                          stacklevel=2)
