"""The staff PIN: a salted hash in the config, and a gate that slows down guessing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.pin import PinGate, hash_pin, verify_pin

FAST = 1000  # iterations: the real default is slow on purpose


def test_hash_is_salted_and_verifies():
    first, second = hash_pin("1234", iterations=FAST), hash_pin("1234", iterations=FAST)
    assert first != second  # a fresh salt each time
    scheme, iterations, salt, digest = first.split("$")
    assert (scheme, iterations, len(salt), len(digest)) == ("pbkdf2_sha256", "1000", 32, 64)
    assert verify_pin("1234", first) and verify_pin("1234", second)
    assert not verify_pin("1235", first)
    assert not verify_pin("", first)


def test_default_hash_is_slow_to_brute_force():
    assert hash_pin("246810").split("$")[1] == "200000"


@pytest.mark.parametrize("stored", ["", "1234", "md5$1$00$00", "pbkdf2_sha256$x$00$00",
                                    "pbkdf2_sha256$10$zz$00"])
def test_a_malformed_hash_never_verifies(stored):
    assert verify_pin("1234", stored) is False


@pytest.mark.parametrize("pin", ["123", "abcd", "12 34", "1234567890123"])
def test_pins_are_4_to_12_digits(pin):
    with pytest.raises(ValueError, match="4 to 12 digits"):
        hash_pin(pin)


def test_hash_pin_command_prints_a_hash_for_the_config():
    result = CliRunner().invoke(cli, ["hash-pin", "--pin", "4321"])
    assert result.exit_code == 0
    assert verify_pin("4321", result.output.strip())
    result = CliRunner().invoke(cli, ["hash-pin", "--pin", "12"])
    assert result.exit_code == 2
    assert "4 to 12 digits" in result.output


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gate():
    clock = FakeClock()
    return PinGate(hash_pin("2468", iterations=FAST), clock=clock), clock


def test_three_free_tries_then_a_lock_that_doubles(gate):
    pins, clock = gate
    assert not pins.attempt("0000") and not pins.attempt("1111")
    assert pins.wait() == 0
    assert not pins.attempt("2222")  # third failure: locked 30 s
    assert pins.wait() == 30
    clock.now += 10
    assert pins.wait() == 20
    assert not pins.attempt("2468"), "a locked gate refuses even the right PIN"
    clock.now += 20
    assert pins.wait() == 0
    assert not pins.attempt("3333")  # fourth failure: 60 s
    assert pins.wait() == 60
    clock.now += 60
    assert not pins.attempt("4444")  # fifth: 120 s
    assert pins.wait() == 120
    clock.now += 120
    assert pins.attempt("2468")
    assert (pins.failures, pins.wait()) == (0, 0)


def test_success_resets_the_count(gate):
    pins, _clock = gate
    pins.attempt("0000")
    pins.attempt("0000")
    assert pins.attempt("2468")
    assert not pins.attempt("0000") and not pins.attempt("0000")
    assert pins.wait() == 0  # two fresh failures, still free
