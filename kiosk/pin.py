"""The staff PIN: stored as a salted PBKDF2 hash, tried at a limited rate.

The config holds only ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``;
``hymy-kiosk hash-pin`` prints one for a new PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

ITERATIONS = 200_000


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """A salted hash of ``pin`` for the ``staff_pin_hash`` config key."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a PIN is 4 to 12 digits")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


@dataclass
class PinGate:
    """Rate-limits PIN attempts: after ``free`` failures, each wait doubles (30 s, 60 s...)."""

    stored_hash: str
    free: int = 3
    base_delay: float = 30.0
    clock: object = field(default=time.monotonic)
    failures: int = 0
    locked_until: float = 0.0

    def wait(self) -> float:
        """Seconds until the next attempt is allowed (0 when allowed now)."""
        return max(0.0, self.locked_until - self.clock())

    def attempt(self, pin: str) -> bool:
        """Try a PIN; a locked gate refuses without checking."""
        if self.wait() > 0:
            return False
        if verify_pin(pin, self.stored_hash):
            self.failures = 0
            return True
        self.failures += 1
        if self.failures >= self.free:
            self.locked_until = self.clock() + self.base_delay * 2 ** (self.failures - self.free)
        return False
