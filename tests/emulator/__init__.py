"""A faithful Meshy API emulator: the test backend and the demo's default (see README.md)."""

from .emulator import PAID_KEY, TEST_KEY, Emulator

__all__ = ["Emulator", "TEST_KEY", "PAID_KEY"]
