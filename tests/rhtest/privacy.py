"""Personal data in messages: assertion messages and echoed output never hold a full
ID number."""
import re

__all__ = ["FULL_ID", "mask", "scrub", "assert_no_full_id"]

FULL_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_LONG_DIGITS = re.compile(r"[0-9]{14,}[0-9Xx]*")


def mask(id_number):
    """411024********0016: first 6 and last 4 characters."""
    s = str(id_number or "")
    return s[:6] + "*" * (len(s) - 10) + s[-4:] if len(s) > 10 else s


def scrub(text):
    """Masks every run of 15+ digits (ID numbers, also inside certificate numbers)."""
    return _LONG_DIGITS.sub(lambda m: mask(m.group(0)), str(text))


def assert_no_full_id(*texts):
    """No ID-shaped number (17 digits and a digit or X) in the texts; the message
    shows where, masked."""
    for t in texts:
        m = FULL_ID.search(t or "")
        assert m is None, (f"a full ID number appears in output at character {m.start()}: "
                           f"{scrub(t[max(0, m.start() - 40):m.end() + 40])!r}")
