"""Runs last (pytest collects files in name order): neither API key used in this session appears
in any log record or in any MeshyError the client produced during the whole api test run."""

from tests.api_tests import leakcheck
from tests.emulator import PAID_KEY, TEST_KEY

KEYS = (TEST_KEY, PAID_KEY, "msy_a_key_that_must_never_be_seen_0123456789")


def test_no_key_in_any_log_line_or_exception():
    logs = leakcheck.LOG_LINES
    errors = leakcheck.error_strings()
    # The run produced plenty to check: requests were logged and errors were raised. (Run with
    # the rest of tests/api_tests; on its own this test has nothing to look at.)
    assert len(logs) > 100 and len(errors) > 20, "run the whole tests/api_tests suite"
    for key in KEYS:
        leaked_logs = [line for line in logs if key in line]
        leaked_errors = [text for text in errors if key in text]
        assert not leaked_logs, f"key in logs: {leaked_logs[:3]}"
        assert not leaked_errors, f"key in errors: {leaked_errors[:3]}"
    # Nor the Authorization header, in any spelling.
    assert not [line for line in logs if "Bearer " in line or "authorization" in line.lower()]
