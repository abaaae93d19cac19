"""统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714) check digits."""

from ..record.ids import org_code_problem, uscc_problem
from . import ERROR, Hit, rule


@rule("ID001", ERROR, "统一社会信用代码无效")
def credit_code(ctx):
    code = ctx.record.enterprise.credit_code
    if code:
        problem = uscc_problem(code)
        if problem:
            yield Hit("enterprise.credit_code", f"{code} {problem}")


@rule("ID002", ERROR, "组织机构代码无效")
def org_code(ctx):
    code = ctx.record.enterprise.org_code
    if code:
        problem = org_code_problem(code)
        if problem:
            yield Hit("enterprise.org_code", f"{code} {problem}")


@rule("ID003", ERROR, "组织机构代码与统一社会信用代码不一致")
def org_matches_uscc(ctx):
    from ..record.ids import compact, org_code_of

    e = ctx.record.enterprise
    if e.org_code and e.credit_code and not uscc_problem(e.credit_code):
        if compact(e.org_code) != org_code_of(e.credit_code):
            yield Hit("enterprise.org_code", f"应为信用代码第9-17位 {org_code_of(e.credit_code)}，实际为 {e.org_code}")
