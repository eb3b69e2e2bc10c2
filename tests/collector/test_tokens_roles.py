"""Tokens and roles (sync.collector.tokens): what a token looks like, how it is
hashed for storage, which scope each role needs, and who reads which store."""

from __future__ import annotations

import hashlib
import re

import pytest

from sync.collector.tokens import (
    CHAIN_READERS,
    READERS,
    ROLES,
    Principal,
    check_role,
    hash_token,
    new_token,
    same_hash,
)


def test_a_new_token_is_192_random_bits_after_the_prefix():
    made = {new_token() for _ in range(200)}
    assert len(made) == 200
    for token in made:
        assert re.fullmatch(r"hymy_[A-Za-z0-9_-]{32}", token), token


def test_a_token_is_stored_as_its_sha256_hex_digest():
    assert hash_token("hymy_abc") == hashlib.sha256(b"hymy_abc").hexdigest()
    assert hash_token("hymy_äö") == hashlib.sha256("hymy_äö".encode()).hexdigest()
    # A lone surrogate (a form field decoded leniently) hashes instead of raising.
    assert hash_token("hymy_\udc80") == hashlib.sha256(b"hymy_\xed\xb2\x80").hexdigest()


def test_hashes_are_compared_whole():
    digest = hash_token("hymy_abc")
    assert same_hash(digest, hash_token("hymy_abc"))
    assert not same_hash(digest, hash_token("hymy_abd"))
    assert not same_hash(digest, digest[:-1])


def test_the_roles_from_least_to_most_power():
    assert ROLES == ("kiosk", "staff", "office", "admin")
    assert {"staff", "office", "admin"} == READERS
    assert {"office", "admin"} == CHAIN_READERS


@pytest.mark.parametrize(("role", "store_id", "kiosk_id"), [
    ("kiosk", "s", "k"), ("kiosk", None, "k"), ("staff", "s", None),
    ("office", None, None), ("admin", None, None),
])
def test_each_role_with_the_scope_it_needs_is_accepted(role, store_id, kiosk_id):
    assert check_role(role, store_id, kiosk_id) is None


@pytest.mark.parametrize(("role", "store_id", "kiosk_id", "message"), [
    ("owner", None, None, "role must be one of kiosk, staff, office, admin, not 'owner'"),
    ("Admin", None, None, "role must be one of kiosk, staff, office, admin, not 'Admin'"),
    ("kiosk", "s", None, "a kiosk token needs a kiosk: use 'hymy-collector kiosk add'"),
    ("kiosk", None, "", "a kiosk token needs a kiosk: use 'hymy-collector kiosk add'"),
    ("staff", None, None, "a staff token needs --store STORE_ID"),
    ("staff", "", "k", "a staff token needs --store STORE_ID"),
    ("office", "s", None, "an office token covers every store; leave out --store"),
    ("office", None, "k", "an office token covers every store; leave out --store"),
    ("admin", "s", None, "an admin token covers every store; leave out --store"),
    ("admin", None, "k", "an admin token covers every store; leave out --store"),
])
def test_a_role_without_its_scope_is_refused_with_what_to_do(role, store_id, kiosk_id, message):
    with pytest.raises(ValueError) as refused:
        check_role(role, store_id, kiosk_id)
    assert str(refused.value) == message


def test_who_reads_which_store():
    assert Principal(1, "office").can_read("a") and Principal(2, "admin").can_read("b")
    staff = Principal(3, "staff", "a")
    assert staff.can_read("a") and not staff.can_read("b")
    assert not Principal(4, "kiosk", "a", "a-1").can_read("a")
    assert not Principal(5, "staff").can_read("a")
    assert (staff.token_id, staff.role, staff.store_id, staff.kiosk_id) == (3, "staff", "a", None)
