"""Faithful to the Partnership Policy: the forms read beside the policy documents in ../shared/seeds.

Each of the five contradictions the policy review found has a test here that fails on the behaviour before it
was removed; the wording lists are the policy's own (Appendices 1–4, the Risk Management checklist, "Entering
into a new or existing partnership", the significance guidance and the executive report's EIA question).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from partxl import Record, Workspace
from partxl.config import ConfigError, load_config
from partxl.forms import contract
from partxl.forms.definitions import Field, Form, Spec, Table, check_settings
from partxl.outputs.summary import LOW_SCORES, SCORE_MEANING, build_summary, summary_model
from partxl.register.model import facts, sort_key
from partxl.returns.validate import Checked, check_file

from . import returns
from .conftest import REPO, SAMPLE_REGISTER

AS_OF = returns.TODAY
SEEDS = REPO.parent / "shared" / "seeds"


def _check(generated: Path, tmp_path: Path, spec: Spec, config: Any, source: str, typed: dict[str, Any]) -> Checked:
    """The workbook issued for ``source`` with ``typed`` typed into it (openpyxl), checked as consolidate would."""
    item = returns.Return(source, f"{source} policy {len(list(tmp_path.iterdir()))}", {**returns.FRESH_REVIEW, **typed})
    path, = returns.fill_with_openpyxl([item], generated, tmp_path)
    return check_file(path, spec, config, AS_OF)


def _codes(checked: Checked) -> set[str]:
    return {f.code for f in checked.findings}


def _config(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "partxl.toml"
    path.write_text(text + '\n[cycle]\nissue_date = 2027-04-19\n[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n',
                    encoding="utf-8")
    return load_config(path)


# ---------------------------------------------------------------- 1. significance


def test_features_alone_do_not_make_a_partnership_significant_but_are_reported(generated, tmp_path, spec, config):
    """P011 receives a grant of £120,000 (a feature); its officer answers No to both defining questions."""
    checked = _check(generated, tmp_path, spec, config, "P011", {"significance_key_to_priorities": "No",
                                                                 "significance_national_influence": "No"})
    assert checked.accepted
    evidence = [f for f in checked.findings if f.code == "SIGNIFICANCE_EVIDENCE"]
    assert [(f.severity, f.sheet) for f in evidence] == [("warning", "Significance")]
    assert evidence[0].cell  # points at the worked-out "Significant partnership" cell
    known = facts(Record("P011", values=checked.values), spec, config, AS_OF)
    assert known.significant == "No" and "Grant of £100,000 or more" in known.features


def test_a_defining_question_makes_a_partnership_significant(generated, tmp_path, spec, config):
    no_features = {f"significance_{f}": "No" for f in ("major_service", "senior_representation", "significant_resource",
                                                        "high_risk", "statutory_duty")}
    checked = _check(generated, tmp_path, spec, config, "P012", {**no_features, "significance_annual_grant": 0,
                                                                 "significance_national_influence": "Yes"})
    assert "SIGNIFICANCE_EVIDENCE" not in _codes(checked)
    known = facts(Record("P012", values=checked.values), spec, config, AS_OF)
    assert known.significant == "Yes" and known.features == ()


def test_what_makes_a_partnership_significant_is_configuration(generated, tmp_path, spec):
    """A council that keeps the older test (any feature) says so in partxl.toml; the workbook's formula follows it."""
    features = ["major_service", "senior_representation", "significant_resource", "grant_over_threshold", "high_risk",
                "statutory_duty"]
    any_feature = _config(tmp_path, "[policy]\nsignificant_if = [" + ", ".join(f'"{f}"' for f in features) + "]")
    check_settings(spec, any_feature)
    checked = _check(generated, tmp_path, spec, any_feature, "P011", {"significance_key_to_priorities": "No",
                                                                      "significance_national_influence": "No"})
    assert "SIGNIFICANCE_EVIDENCE" not in _codes(checked)
    assert facts(Record("P011", values=checked.values), spec, any_feature, AS_OF).significant == "Yes"
    issued = tmp_path / "issue" / "workbooks"  # apart from the return checked above, in tmp_path
    Workspace(any_feature, spec).generate(issued, register=SAMPLE_REGISTER, only=("P011",))
    formula = _named_cell(next(issued.glob("P011 *.xlsx")), "significance_significant")
    assert "significance_high_risk" in formula and "significance_key_to_priorities" not in formula
    shipped = _named_cell(returns.source_file(generated, returns.Return("P011", "")), "significance_significant")
    assert shipped == '=IF(OR(significance_key_to_priorities="Yes",significance_national_influence="Yes"),"Yes","No")'


def test_a_setting_naming_no_answer_is_an_error_naming_the_key(tmp_path, spec):
    with pytest.raises(ConfigError, match=r"significant_if names 'key_priorities'"):
        check_settings(spec, _config(tmp_path, '[policy]\nsignificant_if = ["key_priorities"]'))


def _named_cell(path: Path, name: str) -> Any:
    book = openpyxl.load_workbook(path)
    (sheet, ref), = book.defined_names[name].destinations
    return book[sheet][ref.replace("$", "")].value


# ---------------------------------------------------------------- 2. categories and the register's order


def _category(spec: Spec) -> Field:
    item = spec.form(contract.CATEGORY.form).item(contract.CATEGORY.id)
    assert isinstance(item, Field)
    return item


def test_the_categories_are_the_policys_with_its_definitions(spec):
    category = _category(spec)
    assert category.choices == contract.CATEGORY_ORDER + contract.EXCLUDED_CATEGORIES
    meaning = dict(category.choice_help)
    for excluded in contract.EXCLUDED_CATEGORIES:
        assert meaning[excluded].startswith("Not a partnership")
    # the policy's own words (Definitions; the significance guidance for grants and commissioned services)
    assert "do not have a shared objective" in meaning[contract.CONTRACTUAL]
    assert "discharge of its functions by another local authority" in meaning[contract.SHARED_SERVICE]
    assert "no formal agreement" in meaning[contract.JOINT_WORKING]
    assert "commissioned to deliver services" in meaning[contract.COMMISSIONED]
    assert "grant" in meaning[contract.GRANT_RECIPIENT]
    assert "mandatory for the Council" in meaning[contract.STATUTORY]
    # no invented definition of a community based partnership, and a forum is not said to lack an agreement
    assert "formal agreement with shared outcomes" not in category.help + meaning[contract.COMMUNITY]
    assert "no formal agreement" not in meaning[contract.NETWORK]


def test_the_register_is_in_the_policys_order_and_leaves_out_what_is_not_a_partnership(sample_cycle: Path):
    rows = Workspace.load().register_rows(sample_cycle / "register.xlsx", as_of=AS_OF)
    categories = [r["Category"] for r in rows]
    assert set(categories) == set(contract.CATEGORY_ORDER)  # every heading, and nothing that is not a partnership
    for status in {r["Status"] for r in rows}:  # each sheet (Register, Ceased, …) in the policy's order
        ranks = [contract.CATEGORY_ORDER.index(r["Category"]) for r in rows if r["Status"] == status]
        assert ranks == sorted(ranks), status
    assert "Wexbridge Market Towns Regeneration Partnership" in {r["Partnership name"] for r in rows
                                                                  if r["Category"] == contract.OTHER_NON_STATUTORY}


def test_sort_key_puts_statutory_first_then_the_non_statutory_headings():
    records = [Record(f"P{i}", values={contract.CATEGORY.cell: c, contract.NAME.cell: "Same"})
               for i, c in enumerate(reversed(contract.CATEGORY_ORDER))]
    assert [r.values[contract.CATEGORY.cell] for r in sorted(records, key=sort_key)] == list(contract.CATEGORY_ORDER)


@pytest.mark.parametrize("source,typed", [
    ("P009", {"info_statutory": "Yes"}),  # a community-based partnership said to be statutory
    ("P001", {"info_category": contract.COMMUNITY}),  # a statutory one filed under community-based
], ids=["statutory answer", "category"])
def test_the_category_and_the_statutory_answer_must_agree(generated, tmp_path, spec, config, source, typed):
    checked = _check(generated, tmp_path, spec, config, source, typed)
    mismatch = [f for f in checked.findings if f.code == "CATEGORY_STATUTORY_MISMATCH"]
    assert mismatch and all(f.severity == "error" for f in mismatch) and not checked.accepted


# ---------------------------------------------------------------- 3. which agreements meet the rule, per category


AGREEMENTS = ('[policy]\nagreement_types = { "Network group / forum" = ["Terms of reference"], '
              '"Statutory partnership" = ["Constitution", "Partnership agreement"] }')


def test_the_council_says_which_agreements_meet_the_rule_for_each_category(generated, tmp_path, spec):
    config = _config(tmp_path, AGREEMENTS)
    check_settings(spec, config)
    forum = _check(generated, tmp_path, spec, config, "P028", {"info_agreement_type": "Terms of reference"})
    statutory = _check(generated, tmp_path, spec, config, "P001", {"info_agreement_type": "Terms of reference"})
    assert "AGREEMENT_TYPE_NOT_ACCEPTED" not in _codes(forum) and "AGREEMENT_MISSING" not in _codes(forum)
    assert "AGREEMENT_TYPE_NOT_ACCEPTED" in _codes(statutory) and statutory.accepted  # a warning, for action
    default = _check(generated, tmp_path, spec, load_config(None), "P001", {"info_agreement_type": "Terms of reference"})
    assert "AGREEMENT_TYPE_NOT_ACCEPTED" not in _codes(default)  # the policy's own rule: any written agreement


@pytest.mark.parametrize("text,problem", [
    ('[policy]\nagreement_types = { "Forum" = ["Terms of reference"] }', "names the category 'Forum'"),
    ('[policy]\nagreement_types = { "Network group / forum" = ["ToR"] }', "lists 'ToR'"),
    ('[policy]\nagreement_types = ["Terms of reference"]', "should be a table of lists"),
])
def test_a_wrong_agreement_setting_is_an_error_naming_it(tmp_path, spec, text, problem):
    with pytest.raises(ConfigError, match=re.escape(problem)):
        check_settings(spec, _config(tmp_path, text))


# ---------------------------------------------------------------- 4. the annual cycle


def test_the_shipped_cycle_follows_the_service_planning_round():
    """The register is updated annually "consistent with the service planning process (around May/June)": the
    shipped defaults (which `partxl init` writes for a council) issue in the spring with returns due by June."""
    config = load_config(None)
    assert config.deadline.month in (5, 6) and config.issue_date.month in (4, 5) and config.issue_date < config.deadline
    assert (config.deadline - config.issue_date).days >= 28  # time for officers to answer
    comments = " ".join((REPO / "partxl" / "default_config.toml").read_text(encoding="utf-8").replace("#", " ").split())
    assert "consistent with the service planning process (around May/June)" in comments  # says why, in the policy's words


# ---------------------------------------------------------------- 5. the assessment scale's labels


def test_scores_of_two_are_shown_as_action_needed_not_as_priorities(sample_cycle: Path):
    book = openpyxl.load_workbook(sample_cycle / "committee_summary.xlsx")
    assert "Priority for action" not in book.sheetnames
    sheet = book[LOW_SCORES]
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]]
    meanings = {r[3]: r[4] for r in rows}
    assert meanings == {1: "Not in place – Priority for action", 2: "Partly in place – Action needed"}
    assert "priority for action" in str(sheet["A1"].value).casefold() and "action needed" in str(sheet["A1"].value).casefold()
    assert SCORE_MEANING[2] == "Partly in place – Action needed"


# ---------------------------------------------------------------- missing content


def test_the_risk_checklist_is_asked_read_and_its_gaps_reach_the_committee(generated, tmp_path, spec, config, sample_cycle):
    checked = _check(generated, tmp_path, spec, config, "P009", {"risk_insured": "No", "risk_lead_authority": "Yes",
                                                                 "risk_council_assessed": returns.CLEAR})
    codes = _codes(checked)
    assert "RISK_NOT_INSURED" in codes
    assert any(f.code == "MISSING_CONDITIONAL" and f.field.startswith("If the Council is the lead authority")
               for f in checked.findings)
    rows = {r["Partnership ID"]: r for r in Workspace.load().register_rows(sample_cycle / "register.xlsx", as_of=AS_OF)}
    assert rows["P016"]["Risk: liabilities insured"] == "No"  # the planted gap, read into the register
    ws = Workspace.load()
    summary = build_summary(ws.records(sample_cycle / "register.xlsx"), ws.spec, ws.config, AS_OF)
    issues = {(i.id, i.issue) for i in summary_model(summary).compliance.issues}
    assert ("P016", "Risk checklist: liabilities not insured") in issues


def test_the_risk_scorecard_details_are_asked_and_a_no_is_a_finding(generated, tmp_path, spec, config):
    checked = _check(generated, tmp_path, spec, config, "P009", {"info_risk_scorecard": "No",
                                                                 "info_risk_scorecard_details": returns.CLEAR})
    assert {"RISKS_NOT_ON_SCORECARD", "MISSING"} <= _codes(checked)
    assert any(f.code == "MISSING" and "risk scorecard" in f.field for f in checked.findings)


def test_resources_are_asked_year_on_year(sample_cycle: Path):
    row = next(r for r in Workspace.load().register_rows(sample_cycle / "register.xlsx", as_of=AS_OF)
               if r["Partnership ID"] == "P001")
    assert {"Council funding (£ a year)", "Council funding next year (£)", "Council funding the year after (£)"} <= set(row)
    assert isinstance(row["Council funding next year (£)"], (int, float))


def test_a_handover_recorded_is_not_reported_and_one_missing_is(generated, tmp_path, spec, config):
    change = {"info_reps_2_finished": dt.date(2027, 2, 24), "info_reps_3_name": "Cllr New Person",
              "info_reps_3_started": dt.date(2027, 2, 25), "info_reps_3_trustee_director": "No"}
    missing = _check(generated, tmp_path, spec, config, "P019", change)
    done = _check(generated, tmp_path, spec, config, "P019", {**change, "info_reps_2_handover_brief": dt.date(2027, 2, 14),
                                                              "info_reps_2_handover_documents": dt.date(2027, 2, 14)})
    assert "HANDOVER_NOT_RECORDED" in _codes(missing) and "HANDOVER_NOT_RECORDED" not in _codes(done)


def test_a_member_may_lead_and_their_workbook_goes_to_them(generated, spec, config):
    members = [m.name for m in config.members]
    assert members and set(members) <= set(config.choice_list("leads"))
    lead = spec.form("info").item("lead_officer")
    assert isinstance(lead, Field) and lead.choices_from == "leads" and "Member" in lead.label
    book = openpyxl.load_workbook(returns.source_file(generated, returns.Return("P029", "")))
    meta = {r[0]: r[1] for r in book["_partxl"].iter_rows(min_row=2, values_only=True) if r[0]}
    member = config.officer("Cllr Margaret Ellis")
    assert (meta["issued_to"], meta["issued_to_email"]) == (member.name, member.email)


def _names(path: Path) -> set[str]:
    return set(openpyxl.load_workbook(path).defined_names)


def test_a_proposal_asks_the_policys_checklist_and_no_annual_review_question(generated):
    proposal = _names(generated / "New partnership proposal.xlsx")
    annual = _names(returns.source_file(generated, returns.Return("P009", "")))
    for annual_only in ("info_review_date", "info_reviewed_by", "info_reps_1_started", "info_reps_1_finished",
                        "info_reps_1_handover_brief"):
        assert annual_only in annual and annual_only not in proposal
    for asked in ("proposal_eia", "proposal_can_contribute", "proposal_criteria_clarity_met", "proposal_appropriate_synergy_answer",
                  "info_reps_1_name", "info_reps_1_trustee_director"):
        assert asked in proposal and asked not in annual or asked.startswith("info_")


def test_a_proposal_without_an_equality_impact_assessment_is_reported(generated, tmp_path, spec, config):
    item = returns.proposal(config)
    item.typed.update({"proposal_eia": "No", "proposal_eia_details": returns.CLEAR, "proposal_criteria_benefits_met": "No"})
    item.name = "proposal without EIA"
    path, = returns.fill_with_openpyxl([item], generated, tmp_path)
    checked = check_file(path, spec, config, AS_OF)
    codes = _codes(checked)
    assert {"EIA_NOT_PLANNED", "CRITERION_NOT_MET", "MISSING_CONDITIONAL"} <= codes
    assert not {"MISSING"} & codes  # no annual-review question is asked of a proposal


# ---------------------------------------------------------------- the policy's wording, item by item


def _seed(start: str) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return next(t for t in texts if start in t)


def _norm(text: str) -> str:
    """Wording compared as a reader compares it: case, spacing around '/', quotes and dashes aside."""
    text = text.casefold().replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    text = re.sub(r"\s*/\s*", "/", text)
    return " ".join(text.replace("(s)", "").split())


def _form_text(form: Form) -> str:
    parts = [form.title, form.intro, form.source]
    for section in form.sections:
        parts.append(section.title)
        for item in section.items:
            parts += [item.label, item.help]
            if isinstance(item, Table):
                parts += [item.row_header, item.text_header]
                parts += [t for c in item.columns for t in (c.label, c.help)]
                if item.fixed:
                    parts += [t for r in item.rows for t in (r.label, r.text)]  # type: ignore[union-attr]
            else:
                parts += [*item.choices, *(m for _, m in item.choice_help)]
    return _norm(" | ".join(parts))


# Each: a form id, and the policy's words for one item (Appendix 1 as printed; the fragments of the
# evaluation checklist's double questions that name what is asked). Taken from ../shared/seeds.
POLICY_ITEMS: list[tuple[str, str]] = [
    # Appendix 1 – Partnership Information Form
    ("info", "Name of Partnership"), ("info", "Organisation that the Partnership is responsible to (Accountable Body)"),
    ("info", "Main purpose of the Partnership"), ("info", "Which other organisations are members?"),
    ("info", "contribution to the Council's Strategic Objectives and responsibilities"),
    ("info", "Council resources required – Year on Year"), ("info", "Members /staff time"),
    ("info", "If financial, is this within existing budgets or are any additional funds required?"),
    ("info", "Likely location /Frequency of meetings"), ("info", "Details of risks for the Authority"),
    ("info", "Details to be entered into the Council's Risk scorecard"), ("info", "Date Formed"),
    ("info", "Proposed End Date (if any)"), ("info", "Is this Partnership Statutory?"),
    ("info", "Does the partnership have a Partnership Agreement? (e.g. constitution / terms of reference)"),
    ("info", "If 'Yes' please attach a copy to this form and briefly describe the type of agreement"),
    ("info", "Additional Information /comments"), ("info", "Council representative (s)"), ("info", "Date started"),
    ("info", "Date finished"), ("info", "Performance Review Details"),
    ("info", "reviewed at least annually by the Head of Corporate Services for agreement by the SMT"), ("info", "Reviewed by"),
    ("info", "lead officer or Member"), ("info", "charity trustee or company director"),
    ("info", "full brief"), ("info", "attend a partnership meeting together"),
    # Appendix 2 – Partnership Agreement, and the elements the policy's "Partnership Agreements" lists
    *[("agreement", item) for item in (
        "Overall Purpose", "Aims & Objectives", "Legal Status", "Membership", "Voting Rights",
        "Structures & Management Systems", "Resourcing & Funding arrangements", "Partner Assets", "Partner liabilities",
        "Exit Strategies", "Governance Arrangements", "Details of any specific expectations /inputs from the Council",
        "Financial control, procedures, audit and accountability", "Equalities & Diversity",
        "Expected frequency of meetings /inputs", "Complaints Procedure", "Likely duration of the partnership",
        "Declaration of Interest", "Partnership reporting arrangements", "Monitoring and measuring progress of the partnership",
        "Arrangements if / when the partnership ceases", "life span", "signed by each of the partners")],
    # Appendix 3 – Partnership Assessment
    *[("assessment", item) for item in (
        "Action & Outcome focused", "Well governed", "Good Leadership", "Efficient", "Inclusive", "Outward focused",
        "Committed to learning & Development", "Effective performance management", "Trust", "Regularly evaluates",
        "Not in place – Priority for action", "Partly in place – Action needed", "Action identified – Being implemented",
        "Standard met – No action needed", "Please indicate where evidence can be found")],
    # Appendix 4 – A checklist for evaluating a partnership
    *[("evaluation", item) for item in (
        "Please state the reasons for the evaluation, update or due to partnership being concluded.",
        "Overall, what is working well / worked well with the partnership?",
        "Which key areas of the partnership and its work could be",
        "Provide a list of the members of the partnership.", "Are/were the right members on the partnership?",
        "On average, how good is/was turn", "How active are/were members in planning, implementing and evaluating the intervention?",
        "How well does/did the partners work together?", "How could the membership be/have been improved?",
        "Provide an outline of the key aims and objectives for the partnership.",
        "Does/did the partnership meet its aims and objectives as outlined in the partnership agreement?",
        "What performance and monitoring arrangements are/were set up for the partnership?",
        "How effective is/was the partnership agreement in structuring the partnership?",
        "Provide a list of the activities and outcomes delivered or contributed to by the partnership",
        "Are/were these outcomes in line with the partnership agreement?",
        "If they changed during this period, please give an explanation of why and if this changed the nature/remit of the partnership.",
        "Overall, does/did the partnership deliver its outcomes and activities effectively and efficiently?",
        "Please summarise the main resources provided by the council to the partnership (officer time and funding).",
        "Do/did other partners contribute financial resources in addition to time, expertise, and other in-kind contributions?",
        "In-kind contributions", "How does/ did the partnership communicate its work and progress?",
        "Who does/did the partnership engage and involve in its work?",
        "What methods for engagement and involvement are/were used?",
        "Are/were the methods successful? How could they be/have been improved?",
        "How does/did the partnership resolve conflict?", "Lessons learnt")],
    # Risk Management – the checklist
    *[("risk", item) for item in (
        "Does the partnership have a 'terms of reference' that all parties have agreed?",
        "Are the Council's responsibilities clearly defined in the terms of reference",
        "have these responsibilities been agreed by SMT?",
        "Does the partnership involve the transfer of assets or funding by the Council?",
        "Does the partnership issue accounts or regular financial statements?", "are these reported to the Council?",
        "Does the partnership have its own auditing arrangements?", "Is it considered within the Council's audit programme?",
        "the lead authority or lead partner within the partnership",
        ("Has a risk assessment been completed using the Council's scoring matrix, looking at "
            "the business risks arising from the partnership"),
        "Has the partnership completed a risk assessment looking at the business risks arising from its activities?",
        "Does the council agree with this assessment?", "How regularly are risks and risk controls monitored?",
        "Are the Council's and individual officer's liabilities under the partnership defined?",
        "Are there insurance arrangements that cover these liabilities?",
        "Has the Council set out how often it requires the activities of the partnership to be formally reported back to it?",
        "Has the Council set out to whom the activities should be reported to?",
        "These areas should be covered through a comprehensive Terms of Reference")],
    # Entering into a new or existing partnership; the executive report's EIA question
    *[("proposal", item) for item in (
        "When is a Partnership appropriate?", ("synergy of the aims and objectives of the partnership with the "
            "Council's aims and strategic objectives"),
        "benefit from its involvement", "a statutory duty to do so", "common purpose between the parties involved",
        "an opportunity to achieve coordinated and cohesive outcomes",
        "the potential to deliver more than the sum of individual contributions", "an acceptable level of risk",
        "Agreement of all the parties involved for the need of the partnership in these terms",
        "Criteria for entering into new partnership",
        ("the work of the partnership supports and contributes to the Council's strategic "
            "objectives and supports the Council's principles and values"),
        "the work of the partnership benefits residents, businesses and visitors to the district",
        ("the partnership is able to carry out or support functions the Council needs efficiently, or "
            "enable better performance than we could do on our own"),
        "arrangements are in place to regularly monitor and report on the effectiveness of the partnership",
        "Clarity of roles and remit of the partnership and the appointed Officer / Members",
        "Equality Impact Assessment", "fully and effectively contribute to its success")],
    # Identifying significant partnerships
    *[("significance", item) for item in (
        "key to delivering the Sustainable Community Strategy or Corporate Plan priorities",
        "to influence national or regional thinking with regard to the way public services are delivered",
        "may exhibit one or all", "engaged in delivering a major service",
        ("representatives at partnership meetings at a senior level (e.g. those allocated at Audit and "
            "Governance Committee or involving the Leader or Chief Executive)"),
        "contribute significant funding or other resource", "annual grant", "high risk should it fail",
        "a statutory requirement or", "discharge a statutory duty", "resources at the",
        "disposal of the partnership")],
]


@pytest.mark.parametrize("form_id,words", POLICY_ITEMS, ids=[f"{f}: {w[:50]}" for f, w in POLICY_ITEMS])
def test_every_item_of_the_policy_is_on_its_form_in_the_policys_words(spec, form_id: str, words: str):
    assert _norm(words) in _form_text(spec.form(form_id))


def test_the_wording_list_is_taken_from_the_seeds():
    """Every item checked above is in the policy documents themselves (so the list cannot drift from them)."""
    seeds = _norm(" ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")))
    ours = {"lead officer or Member", "In-kind contributions",
            "contribution to the Council's Strategic Objectives and responsibilities", "a statutory requirement or",
            ("representatives at partnership meetings at a senior level (e.g. those allocated at Audit and "
                "Governance Committee or involving the Leader or Chief Executive)"),
            "signed by each of the partners", ("Has a risk assessment been completed using the Council's scoring matrix, looking at "
                "the business risks arising from the partnership"),
            "are these reported to the Council?", "Equality Impact Assessment"}
    missing = [w for _, w in POLICY_ITEMS if _norm(w) not in seeds and w not in ours]
    assert missing == []
