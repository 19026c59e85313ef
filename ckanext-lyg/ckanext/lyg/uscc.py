"""统一社会信用代码 (unified social credit code, GB 32100-2015).

An 18-character code::

    position  1     登记管理部门码   (registration authority: 1 机构编制, 5 民政, 9 工商, Y 其他 …)
    position  2     机构类别码       (organisation kind within that authority)
    positions 3-8   登记管理机关行政区划码 (GB/T 2260 division, e.g. 320700 连云港市)
    positions 9-17  主体标识码       (organisation code, GB 11714, with its own check character)
    position  18    校验码           (check character over positions 1-17)

The alphabet is the digits and the capital letters without I, O, Z, S and V
(31 characters); the check character is computed modulo 31 with the weights
``3**i mod 31``.  Everything here is a pure function.
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714 organisation code: 8 body characters (digits, capital letters) + check.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

LENGTH = 18


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


class USCCError(ValueError):
    """The code is not a valid 统一社会信用代码.

    ``message`` is an English msgid of the ``ckanext-lyg`` domain with
    ``{placeholders}`` filled from ``params``; a validator shows it with
    ``tk._(err.message).format(**err.params)``.  ``str(err)`` is the English text.
    """

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


def check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters."""
    if len(first17) != 17:
        raise USCCError(N_("Expected 17 characters, got {count}"), count=len(first17))
    total = 0
    for ch, weight in zip(first17, WEIGHTS, strict=True):
        if ch not in _VALUE:
            raise USCCError(N_("Invalid character {chars} (I, O, Z, S, V are not used)"), chars=ch)
        total += _VALUE[ch] * weight
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    if len(body8) != 8 or any(ch not in _ORG_ALPHABET for ch in body8):
        raise USCCError(N_("An organization code body is 8 digits or capital letters: {body}"), body=body8)
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate(code: str) -> str:
    """Return the normalised code (stripped, upper case) or raise USCCError.

    Checks length, alphabet, that the division code is numeric and the check
    character.  The embedded organisation-code check is not enforced (see
    :func:`has_valid_org_code`): the national standard only defines the
    18th character as the code's own check.
    """
    if not isinstance(code, str):
        raise USCCError(N_("A unified social credit code must be a string"))
    norm = code.strip().upper()
    if len(norm) != LENGTH:
        raise USCCError(N_("A unified social credit code has 18 characters, got {count}"), count=len(norm))
    bad = sorted({ch for ch in norm if ch not in _VALUE})
    if bad:
        raise USCCError(N_("Invalid character {chars} (I, O, Z, S, V are not used)"), chars=" ".join(bad))
    if not norm[2:8].isdigit():
        raise USCCError(N_("Characters 3 to 8 (the division code) must be digits"))
    expected = check_char(norm[:17])
    if norm[17] != expected:
        raise USCCError(
            N_("Wrong check character: the 18th character should be {expected}, not {actual}"),
            expected=expected,
            actual=norm[17],
        )
    return norm


def is_valid(code: object) -> bool:
    """True when ``code`` is a valid 统一社会信用代码 (see :func:`validate`)."""
    try:
        validate(code)  # type: ignore[arg-type]
    except USCCError:
        return False
    return True


def has_valid_org_code(code: str) -> bool:
    """True when positions 9-17 carry a valid GB 11714 organisation code."""
    body = code.strip().upper()[8:17]
    try:
        return len(body) == 9 and org_code_check_char(body[:8]) == body[8]
    except USCCError:
        return False


def generate(
    seed: str,
    *,
    division: str = "320700",
    authority: str = "1",
    kind: str = "1",
) -> str:
    """A valid, deterministic code for ``seed`` (e.g. the organisation's name).

    ``authority``/``kind`` default to 机构编制/机关 (a government department),
    ``division`` to 连云港市.  The organisation code part is derived from a hash
    of the seed and carries a valid GB 11714 check character, so the result
    passes both :func:`validate` and :func:`has_valid_org_code`.
    """
    if len(division) != 6 or not division.isdigit():
        raise USCCError(N_("A division code is 6 digits: {division}"), division=division)
    if authority not in _VALUE or kind not in _VALUE:
        raise USCCError(N_("Authority and kind codes must be code characters"))
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    body8 = str(int(digest, 16))[:8]
    org_check = org_code_check_char(body8)  # 0-9 or X, all in ALPHABET
    first17 = authority + kind + division + body8 + org_check
    return first17 + check_char(first17)
