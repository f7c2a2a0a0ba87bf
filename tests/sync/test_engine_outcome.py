"""Round outcomes in plain words: every code the engine reports has its own words."""

from __future__ import annotations

import pytest

from sync.engine import RoundOutcome, RoundStatus, describe

CODES = ["connection", "timeout", "tls", "server_error", "rate_limited", "unexpected_answer",
         "bad_receipt", "bad_event", "internal_error", "signature_invalid",
         "protocol_unsupported", "conflict", "blob_digest_mismatch", "page_missing",
         "blobs_missing", "file_mismatch"]


def test_every_code_has_its_own_words() -> None:
    words = [describe(code) for code in CODES]
    assert len(set(words)) == len(CODES)
    assert not any(code in text for code, text in zip(CODES, words))


@pytest.mark.parametrize("code", ["malformed", "envelope_signature_invalid", "undecryptable",
                                  "sequence_invalid", "too_large"])
def test_a_refusal_names_its_code_and_says_the_item_was_set_aside(code: str) -> None:
    assert code in describe(code) and "set aside" in describe(code)


def test_an_unknown_code_is_retried_not_set_aside() -> None:
    text = describe("teapot")
    assert "teapot" in text and "try again" in text


def test_an_outcome_without_error_has_no_message() -> None:
    assert RoundOutcome(RoundStatus.OK).message is None
    assert RoundOutcome(RoundStatus.OFFLINE, error="timeout").message == describe("timeout")
