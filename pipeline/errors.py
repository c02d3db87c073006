"""Why an input yields no report.  Every input ends in ``reports`` or, with one of these, in
``rejects``: nothing is dropped silently."""

from __future__ import annotations


class Reject(Exception):
    """An input that is not a readable report.  ``stage`` is where it failed (read, decode,
    extract, parse); ``code`` is stable and documented in the README."""

    def __init__(self, stage: str, code: str, message: str):
        super().__init__(message)
        self.stage = stage
        self.code = code
        self.message = message

    def __reduce__(self):  # rebuilt from all three fields when a worker sends a reject back
        return (Reject, (self.stage, self.code, self.message))
