"""Errors an op can end in. Each carries a stable code that clients and tests rely on."""

CODES = (
    "unauthorized",  # no or wrong key
    "meeting_full",  # the meeting has as many participants as it takes
    "forbidden",  # the role may not do this
    "invalid",  # malformed op
    "too_long",  # a text over its limit
    "not_found",  # unknown meeting, session, question, contribution, ballot
    "conflict",  # stale version
    "locked",  # the board is locked
    "rate_limited",  # too many ops from one connection
    "closed",  # the ballot is closed
    "too_many_dots",  # a dot vote over the allowance
    "unavailable",  # the store did not answer: nothing was applied; retry with the same op_id
    "too_large",  # a frame or request body over the size limit, refused unread
    "too_deep",  # JSON nested deeper than the limit, refused unparsed
    "curation_full",  # the curation decisions have named as many contributions as a meeting keeps
)

# Codes after which the same op, resent unchanged, may still succeed.
RETRYABLE = ("rate_limited", "unavailable")


class OpError(Exception):
    """An op that cannot be applied. Nothing was changed."""

    def __init__(self, code: str, message: str, **extra):
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def as_ack(self) -> dict:
        error = {"code": self.code, "message": self.message}
        error.update(self.extra)
        return {"ok": False, "error": error}
