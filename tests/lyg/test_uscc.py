"""统一社会信用代码: pure-function tests (no CKAN, no database)."""

from __future__ import annotations

import pytest
from ckanext.lyg import uscc

# Published codes of well-known companies (business licences).
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
]


def test_weights_follow_the_standard():
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(uscc.ALPHABET) == 31
    assert not set("IOZSV") & set(uscc.ALPHABET)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert uscc.validate(code) == code
    assert uscc.has_valid_org_code(code)


def test_validate_normalises_case_and_whitespace():
    assert uscc.validate("  91440300708461136t ") == "91440300708461136T"


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_single_substitution_is_detected(code):
    for pos in range(18):
        for ch in uscc.ALPHABET:
            if ch == code[pos]:
                continue
            bad = code[:pos] + ch + code[pos + 1 :]
            if pos in range(2, 8) and not ch.isdigit():
                assert not uscc.is_valid(bad)
                continue
            assert not uscc.is_valid(bad), bad


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("", "18 characters"),
        ("91440300708461136", "18 characters"),
        ("91440300708461136TT", "18 characters"),
        ("91440300708461136I", "Invalid character I"),
        ("9144030070846113OT", "Invalid character O"),
        ("914403007084611S6T", "Invalid character S"),
        ("91A40300708461136T", "division code"),
        ("91440300708461136U", "should be T, not U"),
    ],
)
def test_invalid_codes_say_why(code, fragment):
    with pytest.raises(uscc.USCCError) as err:
        uscc.validate(code)
    assert fragment in str(err.value)
    assert err.value.message  # an untranslated msgid with placeholders
    assert not uscc.is_valid(code)


def test_non_strings_are_invalid():
    assert not uscc.is_valid(None)
    assert not uscc.is_valid(914403001922038216)


def test_check_char_wraps_31_to_zero():
    # find a prefix whose weighted sum is a multiple of 31: its check char is 0
    prefix = "9144030070846113"
    for ch in uscc.ALPHABET:
        if uscc.check_char(prefix + ch) == "0":
            assert uscc.is_valid(prefix + ch + "0")
            break
    else:  # pragma: no cover
        pytest.fail("no prefix found")


def test_org_code_check_char():
    assert uscc.org_code_check_char("19220382") == "1"  # 华为 192203821
    assert uscc.org_code_check_char("70846113") == "6"
    with pytest.raises(uscc.USCCError):
        uscc.org_code_check_char("1234")


def test_generate_is_valid_and_deterministic():
    codes = {uscc.generate(f"部门{i}") for i in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert uscc.is_valid(code), code
        assert uscc.has_valid_org_code(code), code
        assert code.startswith("11320700")
    assert uscc.generate("市公安局") == uscc.generate("市公安局")
    assert uscc.generate("市公安局") != uscc.generate("市民政局")


def test_generate_with_division_and_kind():
    code = uscc.generate("海州区人民政府", division="320706")
    assert code[2:8] == "320706" and uscc.is_valid(code)
    code = uscc.generate("某企业", authority="9", kind="1")
    assert code.startswith("91320700") and uscc.is_valid(code)
    with pytest.raises(uscc.USCCError):
        uscc.generate("x", division="32070")
    with pytest.raises(uscc.USCCError):
        uscc.generate("x", authority="I")
