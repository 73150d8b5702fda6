"""The control interface under /_emulator/ (no auth, never faulted): faults, reset, state, balances,
the clock, and a large deterministic GLB for download benchmarks. Documented in README.md."""

import json
import struct

from .validation import ApiError

BLOB_CHUNK = 1 << 16


def handle(handler, method, path, query, raw_body):
    emulator = handler.emulator
    try:
        body = json.loads(raw_body) if raw_body else {}
    except ValueError:
        raise ApiError(400, "Invalid JSON body") from None
    route = (method, path.rstrip("/"))
    if route == ("POST", "/_emulator/faults"):
        try:
            emulator.faults(**body)
        except (TypeError, ValueError) as error:
            raise ApiError(400, str(error)) from None
        return handler.send_json(200, {"faults": emulator.fault_rules.describe()})
    if route == ("GET", "/_emulator/faults"):
        return handler.send_json(200, {"faults": emulator.fault_rules.describe()})
    if route == ("DELETE", "/_emulator/faults"):
        emulator.fault_rules.clear()
        return handler.send_json(200, {"faults": []})
    if route == ("POST", "/_emulator/reset"):
        emulator.reset()
        return handler.send_json(200, {"reset": True})
    if route == ("GET", "/_emulator/state"):
        return handler.send_json(200, emulator.state())
    if route == ("POST", "/_emulator/balance"):
        if body.get("key") not in emulator.store.accounts or not isinstance(body.get("credits"), int):
            raise ApiError(400, "balance needs a known key and integer credits")
        emulator.set_balance(body["key"], body["credits"])
        return handler.send_json(200, {"balance": emulator.balance(body["key"])})
    if route == ("POST", "/_emulator/clock"):
        seconds = body.get("advance_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ApiError(400, "clock needs advance_seconds >= 0")
        emulator.advance_clock(seconds)
        return handler.send_json(200, {"advanced": seconds})
    if route == ("GET", "/_emulator/blob"):
        return serve_blob(handler, query)
    raise ApiError(404, "Not Found")


def blob_header(size):
    """The first bytes of a valid GLB of exactly `size` bytes (a multiple of 4) whose BIN chunk is
    zeros; returns (header bytes, BIN length). The JSON chunk is space-padded to make lengths add up."""
    doc = b'{"asset":{"version":"2.0","generator":"Meshy emulator blob"},"buffers":[{"byteLength":%d}]}'
    # `size` has at least as many digits as the BIN length, so this JSON always fits.
    bin_length = (size - 28 - len(doc % size)) // 4 * 4
    json_length = size - 28 - bin_length
    text = (doc % bin_length).ljust(json_length, b" ")
    return (b"glTF" + struct.pack("<II", 2, size) + struct.pack("<II", json_length, 0x4E4F534A)
            + text + struct.pack("<II", bin_length, 0x004E4942)), bin_length


def serve_blob(handler, query):
    try:
        size = int((query.get("bytes") or ["0"])[0])
    except ValueError:
        raise ApiError(400, "bytes must be an integer") from None
    if size < 128 or size % 4:
        raise ApiError(400, "bytes must be a multiple of 4 and at least 128")
    header, bin_length = blob_header(size)
    handler.send_response(200)
    handler.send_header("Content-Type", "model/gltf-binary")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    handler.wfile.write(header)
    zeros = bytes(BLOB_CHUNK)
    remaining = bin_length
    while remaining > 0:   # streamed: a 100 MB blob never sits in memory
        step = min(remaining, BLOB_CHUNK)
        handler.wfile.write(zeros[:step])
        remaining -= step
