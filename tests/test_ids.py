import pytest
from stdnum.cn import uscc

from formgen.record.ids import org_check_char, org_code_problem, uscc_problem


def _uscc(first: str, org_body: str = "MA1FL8TQ") -> str:
    body = f"{first}1310115{org_body}{org_check_char(org_body)}"
    return body + uscc.calc_check_digit(body)


@pytest.mark.parametrize("code", ["914403001922038216", "91330100799655058B", "91310115MA1FL8TQ6C"])
def test_real_and_example_credit_codes_pass(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize("first", ["A", "N", "Y", "1", "5", "9"])
def test_registration_authority_letters_accepted(first):
    # python-stdnum rejects letters in position 1; GB 32100 allows A, N and Y.
    assert uscc_problem(_uscc(first)) is None


def test_wrong_check_digit_names_the_right_one():
    assert uscc_problem("91310115MA1FL8TQ6D") == "校验位错误：第18位应为 C"


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91310115MA1FL8TQ6", "应为18位"),
        ("B1310115MA1FL8TQ6C", "格式不符"),
        ("91310115MA1FL8TO6C", "格式不符"),  # letter O is not in the alphabet
    ],
)
def test_malformed_credit_codes(code, fragment):
    assert fragment in uscc_problem(code)


def test_org_code_check_digit():
    assert org_code_problem("MA1FL8TQ6") is None
    assert org_code_problem("79965505-8") is None
    assert org_code_problem("799655059") == "校验位错误：第9位应为 8"
    assert "应为9位" in org_code_problem("1234")
