"""Make the shipped samples: a fictional district council's register and a cycle of returns.

Run ``python -m samples.make_samples`` from the repository to regenerate

- ``samples/register.xlsx``: last cycle's register (deterministic, fixed seed). It covers every
  category in the policy (and some contractual arrangements and shared services that the
  register must exclude), and the cases the MIO meets every year: grants either side of
  £100,000, ended partnerships, missing agreements, overdue reviews, a representative who
  left without a successor;
- ``samples/returns/``: this cycle's returns, typed into the generated workbooks in a real
  LibreOffice Calc and saved (mostly .xlsx, some .ods), with the mistakes officers make
  (those of ``tests/returns.py``), a new proposal, a covering note and an Office lock file.
  A few partnerships have not returned. Needs LibreOffice (see README).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Callable
from pathlib import Path

from partxl import Record, Spec, Table, Workspace, cell_name, layout_form

HERE = Path(__file__).resolve().parent
TODAY = dt.date(2027, 4, 19)

STAT, COMM, NET, OTHER, CONTRACT, SHARED, JOINT, GRANT, COMMISSIONED = (
    "Statutory partnership", "Community-based partnership", "Network group / forum", "Other non-statutory partnership",
    "Contractual arrangement", "Shared service", "Joint working / collaborative working arrangement", "Grant recipient",
    "Commissioned service")

# name, category, accountable body, purpose, grant (£), council funding (£)
PARTNERSHIPS = [
    ("Wexbridge Community Safety Partnership", STAT, "Wexbridge District Council",
     "Reduce crime, disorder and anti-social behaviour under the Crime and Disorder Act 1998.", 185_000, 42_000),
    ("Northshire Health and Wellbeing Board", STAT, "Northshire County Council",
     "Improve health and reduce health inequalities across Northshire.", 0, 5_000),
    ("Northshire Local Resilience Forum", STAT, "Northshire Police",
     "Plan for and respond to emergencies as required by the Civil Contingencies Act 2004.", 0, 8_500),
    ("Northshire Safeguarding Children Partnership", STAT, "Northshire County Council",
     "Safeguard and promote the welfare of children in Northshire.", 0, 12_000),
    ("Wexbridge Youth Justice Management Board", STAT, "Northshire County Council",
     "Prevent offending and re-offending by children and young people.", 64_000, 15_000),
    ("Wex Valley Flood Risk Partnership", STAT, "Northshire County Council",
     "Manage local flood risk along the Wex and its tributaries.", 100_000, 20_000),
    ("Northshire Joint Waste Partnership", STAT, "Northshire County Council",
     "Co-ordinate waste collection and disposal between the county and district councils.", 250_000, 30_000),
    ("Northshire Integrated Care Partnership", STAT, "Northshire Integrated Care Board",
     "Join up health and care services for Northshire residents.", 0, 0),
    ("Wexbridge Town Centre Partnership", COMM, "Wexbridge BID Company Ltd",
     "Bring visitors and investment to Wexbridge town centre.", 99_500, 25_000),
    ("Active Wexbridge Sports Partnership", COMM, "Wexbridge District Council",
     "Get more residents of every age physically active.", 45_000, 18_000),
    ("Wexbridge Affordable Warmth Partnership", COMM, "Wexbridge District Council",
     "Reduce fuel poverty through insulation, advice and grants.", 120_000, 10_000),
    ("Wexbridge & District Food Partnership", COMM, "Wexbridge Community Foundation",
     "Tackle food insecurity and support community food projects.", 30_000, 6_000),
    ("Wex Canal Restoration Partnership", COMM, "Wex Canal Trust",
     "Restore the Wex Canal for navigation, wildlife and recreation.", 350_000, 15_000),
    ("Wexbridge Employment and Skills Partnership", COMM, "Wexbridge College",
     "Help local people into work and improve skills for local employers.", 75_000, 12_000),
    ("Old Town Heritage Partnership", COMM, "Wexbridge District Council",
     "Repair historic buildings in the Old Town conservation area.", 100_000, 40_000),
    ("Rural Wexbridge Communities Partnership", COMM, "Wexbridge Rural Community Council",
     "Support village halls, rural transport and community-led plans.", 20_000, 8_000),
    ("Wexbridge Arts and Culture Partnership", COMM, "Wexbridge Arts Trust",
     "Grow participation in the arts and run the annual Wexbridge Festival.", 60_000, 22_000),
    ("Dementia Friendly Wexbridge", COMM, "Age Concern Wexbridge",
     "Make Wexbridge a good place to live well with dementia.", 0, 2_500),
    ("Wexbridge Credit Union / Savings Partnership", COMM, "Wexbridge Credit Union Ltd",
     "Offer affordable credit and savings to residents excluded from mainstream banking.", 15_000, 5_000),
    ("Wexbridge Green Spaces Partnership", COMM, "Wexbridge District Council",
     "Improve parks and green spaces with Friends groups.", 0, 14_000),
    ("Wexbridge Tourism Partnership", COMM, "Visit Northshire",
     "Promote Wexbridge as a visitor destination.", 40_000, 9_000),
    ("Wexbridge Youth Partnership", COMM, "Wexbridge District Council",
     "Give young people things to do and a voice in local decisions.", 0, 7_500),
    ("Domestic Abuse Support Partnership", COMM, "Northshire Police and Crime Commissioner",
     "Support victims of domestic abuse and hold perpetrators to account.", 140_000, 11_000),
    ("Wexbridge Digital Inclusion Partnership", COMM, "Wexbridge Libraries Trust",
     "Help residents get online and use digital services safely.", 0, 3_000),
    ("Wexbridge Market Towns Regeneration Partnership", OTHER, "Wexbridge District Council",
     "Regenerate the district's three market towns.", 500_000, 60_000),
    ("Northshire Chief Executives' Group", NET, "Northshire County Council",
     "Chief executives discuss shared issues across Northshire.", 0, 0),
    ("Northshire Housing Officers' Forum", JOINT, "Northshire Housing Consortium",
     "Officers meet to share good practice on housing and homelessness; no formal agreement.", 0, 0),
    ("Environmental Health Managers' Forum", NET, "Northshire County Council",
     "Share practice on food safety, pollution and licensing.", 0, 0),
    ("Wexbridge Voluntary Sector Forum", NET, "Wexbridge Council for Voluntary Service",
     "Bring the council and voluntary groups together to discuss local needs.", 0, 1_500),
    ("Northshire Climate Change Network", NET, "Northshire County Council",
     "Share work on carbon reduction and climate adaptation.", 0, 0),
    ("Tenants' Forum: East Wexbridge", NET, "Wexbridge District Council",
     "Let tenants discuss housing services with officers.", 0, 2_000),
    ("Northshire Planning Officers' Group", NET, "Northshire County Council",
     "Planning managers discuss policy and shared evidence.", 0, 0),
    ("Equality and Diversity Network", NET, "Wexbridge District Council",
     "Share practice on equality duties across public bodies.", 0, 0),
    ("Grounds Maintenance Contract (ServeGreen Ltd)", CONTRACT, "ServeGreen Ltd",
     "Grass cutting and grounds maintenance under a tendered contract.", 0, 410_000),
    ("Wexbridge Carers' Support Service", COMMISSIONED, "Northshire Carers Trust",
     "Support for unpaid carers, commissioned by the Council.", 0, 60_000),
    ("Citizens Advice Wexbridge (core grant)", GRANT, "Citizens Advice Wexbridge",
     "Free, independent advice for residents, funded by an annual Council grant.", 0, 85_000),
    ("Revenues and Benefits Shared Service", SHARED, "Southvale District Council",
     "Council tax, business rates and benefits administration shared with Southvale.", 0, 780_000),
    ("Northshire Internal Audit Consortium", SHARED, "Northshire County Council",
     "Internal audit provided by a consortium of Northshire councils.", 0, 95_000),
    ("Building Control Shared Service", SHARED, "Eastmere Borough Council",
     "Building control delivered on the Council's behalf by Eastmere.", 0, 120_000),
    ("Wexbridge Night-Time Economy Partnership", COMM, "Wexbridge BID Company Ltd",
     "Keep the town centre safe and lively in the evening.", 0, 4_000),
]
ENDED = {"Wexbridge Digital Inclusion Partnership", "Wexbridge Night-Time Economy Partnership",
         "Northshire Planning Officers' Group"}
NO_AGREEMENT = {"Dementia Friendly Wexbridge", "Wexbridge Youth Partnership", "Wexbridge Tourism Partnership"}
NO_EXIT = {"Wexbridge Arts and Culture Partnership", "Wex Canal Restoration Partnership"}
REVIEW_OVERDUE = {"Wexbridge Green Spaces Partnership", "Rural Wexbridge Communities Partnership",
                  "Northshire Joint Waste Partnership", "Wexbridge Employment and Skills Partnership"}
NOT_ASSESSED = {"Northshire Integrated Care Partnership", "Wexbridge Market Towns Regeneration Partnership"}
NOT_ON_SCORECARD = {"Wexbridge Tourism Partnership", "Wexbridge Youth Partnership", "Northshire Climate Change Network"}
NOT_KEY = {"Domestic Abuse Support Partnership"}  # shows features of a significant partnership, but called not significant
INFLUENCE = {"Northshire Chief Executives' Group", "Northshire Climate Change Network"}
RISK_GAPS = {"Wexbridge Tourism Partnership": "tor_agreed", "Rural Wexbridge Communities Partnership": "insured",
             "Northshire Chief Executives' Group": "reporting_frequency", "Wexbridge Youth Partnership": "liabilities_defined"}
FUNDS_NOT_AGREED = {"Wexbridge Market Towns Regeneration Partnership"}
MEMBER_LED = {"Wexbridge Voluntary Sector Forum": "Cllr Margaret Ellis"}

OFFICER_BY_SERVICE = {
    "Community Safety": "Alan Whitfield", "Housing": "Bethan Morgan", "Economic Development": "Chidi Okafor",
    "Environmental Services": "Deborah Lane", "Leisure and Culture": "Emre Yilmaz", "Corporate Services": "Fiona Grant",
    "Planning": "Gareth Hughes", "Health and Wellbeing": "Harpreet Kaur", "Children and Young People": "Isobel Carter",
    "Finance": "Jonas Berg",
}
REPRESENTATIVES = ["Cllr Margaret Ellis", "Cllr Tom Reid", "Cllr Aisha Rahman", "Cllr Peter Doyle",
                   "Cllr Sarah Wong", "Cllr David Price", "Cllr Helen Marsh", "Cllr Owen Bell"]
EVIDENCE = ["Annual report", "Board minutes", "Terms of reference", "Performance dashboard",
            "Risk register", "Equality impact assessment", "Partnership action plan", "Audit report"]


def officer_for(name: str, category: str) -> str:
    keywords = [("Safety", "Community Safety"), ("Abuse", "Community Safety"), ("Youth Justice", "Children and Young People"),
                ("Children", "Children and Young People"), ("Youth", "Children and Young People"), ("Health", "Health and Wellbeing"),
                ("Dementia", "Health and Wellbeing"), ("Care", "Health and Wellbeing"), ("Housing", "Housing"), ("Tenants", "Housing"),
                ("Warmth", "Housing"), ("Waste", "Environmental Services"), ("Refuse", "Environmental Services"),
                ("Flood", "Environmental Services"), ("Climate", "Environmental Services"), ("Environmental", "Environmental Services"),
                ("Green", "Environmental Services"), ("Grounds", "Environmental Services"), ("Sports", "Leisure and Culture"),
                ("Leisure", "Leisure and Culture"), ("Arts", "Leisure and Culture"), ("Tourism", "Leisure and Culture"),
                ("Canal", "Leisure and Culture"), ("Heritage", "Planning"), ("Planning", "Planning"), ("Building", "Planning"),
                ("Revenues", "Finance"), ("Credit", "Finance"), ("Audit", "Finance")]
    for word, service in keywords:
        if word in name:
            return OFFICER_BY_SERVICE[service]
    return OFFICER_BY_SERVICE["Economic Development" if category == COMM else "Corporate Services"]


def make_records() -> list[Record]:
    rnd = random.Random(2027)
    workspace = Workspace.load()
    spec, objectives = workspace.spec, workspace.config.strategic_objectives
    records = []
    for number, (name, category, body, purpose, grant, funding) in enumerate(PARTNERSHIPS, start=1):
        pid = f"P{number:03d}"
        v: dict[str, object] = {}

        def put(form: str, field: str, value: object, target: dict[str, object] = v) -> None:
            target[cell_name(form, field)] = value

        formed = dt.date(rnd.randint(2004, 2023), rnd.randint(1, 12), rnd.randint(1, 28))
        statutory = category == STAT
        put("info", "name", name)
        put("info", "category", category)
        put("info", "lead_officer", MEMBER_LED.get(name) or officer_for(name, category))
        put("info", "accountable_body", body)
        put("info", "purpose", purpose)
        put("info", "members", "\n".join(rnd.sample(
            ["Northshire County Council", "Northshire Police", "Northshire Fire and Rescue Service",
             "Northshire Integrated Care Board", "Wexbridge Council for Voluntary Service", "Wexbridge College",
             "Wexbridge Housing Association", "Environment Agency", "Wexbridge Chamber of Commerce",
             "Age Concern Wexbridge", "Parish councils (three)"], rnd.randint(2, 5))))
        put("info", "strategic_objective", rnd.choice(objectives))
        put("info", "objective_links", f"Contributes to '{rnd.choice(objectives)}' through joint projects and shared data.")
        put("info", "resources_time", f"{rnd.choice(['Head of Service', 'Service manager', 'Cabinet Member'])} at "
            f"{rnd.choice([4, 6, 10, 12])} meetings a year; officer support about {rnd.choice([2, 5, 10, 20])} days a year.")
        put("info", "council_funding", float(funding))
        put("info", "council_funding_next", float(0 if name in ENDED else funding))
        put("info", "council_funding_after", float(0 if name in ENDED else round(funding * rnd.choice([0.9, 1, 1, 1.05]), -2)))
        additional = number % 9 == 4 or name in FUNDS_NOT_AGREED
        put("info", "budget_position", "Additional funds required" if additional else
            ("Within existing budgets" if funding else "No financial commitment"))
        if additional:
            put("info", "additional_funds", float(rnd.choice([5_000, 12_500, 30_000])))
            put("info", "smt_agreed_funds", "No" if name in FUNDS_NOT_AGREED else "Yes")
        put("info", "meetings", f"{rnd.choice(['Civic Offices, Wexbridge', 'County Hall', 'Online', 'Wexbridge Library'])}, "
            f"{rnd.choice(['monthly', 'every two months', 'quarterly', 'twice a year'])}")
        put("info", "risks", rnd.choice([
            "Loss of external funding would end projects the community relies on.",
            "Reputational risk if the partnership fails to deliver agreed outcomes.",
            "Financial risk if partners withdraw their contributions.",
            "Risk that statutory duties are not met if partners do not attend.",
        ]))
        put("info", "risk_scorecard_details", rnd.choice([
            "Partner withdrawal: likelihood 2, impact 3; owner the lead officer.",
            "Loss of external funding: likelihood 3, impact 3; owner the Head of Service.",
            "Reputational damage if outcomes are missed: likelihood 2, impact 2; owner the lead officer.",
        ]))
        put("info", "risk_scorecard", "No" if name in NOT_ON_SCORECARD else "Yes")
        put("info", "date_formed", formed)
        if name in ENDED:
            put("info", "end_date", dt.date(2026, rnd.randint(1, 9), rnd.randint(1, 28)))
        elif number % 7 == 3:
            put("info", "end_date", dt.date(rnd.randint(2027, 2030) + 1, 3, 31))  # planned, after this cycle
        put("info", "statutory", "Yes" if statutory else "No")
        has_agreement = category != JOINT and name not in NO_AGREEMENT  # a forum on the register has terms of reference
        put("info", "has_agreement", "Yes" if has_agreement else "No")
        if has_agreement:
            put("info", "agreement_type", "Terms of reference" if category == NET else rnd.choice(
                ["Terms of reference", "Constitution", "Partnership agreement", "Memorandum of understanding"]))
        put("info", "exit_strategy", "No" if name in NO_EXIT else "Yes")
        reps = rnd.sample(REPRESENTATIVES, 2)
        started = dt.date(max(formed.year, 2019), rnd.randint(1, 12), 1)
        put("info", "reps_1_name", reps[0])
        put("info", "reps_1_role", "Cabinet Member" if rnd.random() < 0.6 else "Ward Member")
        put("info", "reps_1_started", started)
        put("info", "reps_1_trustee_director", "Company director" if "BID" in body else "No")
        if number % 6 == 1:  # a change of representative with a successor, and the handover the policy asks for
            put("info", "reps_1_finished", dt.date(2025, 10, 14))
            put("info", "reps_1_handover_brief", dt.date(2025, 9, 30))
            put("info", "reps_1_handover_documents", dt.date(2025, 9, 30))
            put("info", "reps_1_handover_meeting", dt.date(2025, 10, 8))
            put("info", "reps_2_trustee_director", "No")
            put("info", "reps_2_name", reps[1])
            put("info", "reps_2_role", "Cabinet Member")
            put("info", "reps_2_started", dt.date(2025, 10, 15))
        elif number % 11 == 5:  # left, and nobody has taken over
            put("info", "reps_1_finished", dt.date(2026, 10, 8))
        review = TODAY - dt.timedelta(days=rnd.randint(430, 800) if name in REVIEW_OVERDUE else rnd.randint(30, 330))
        put("info", "review_date", max(review, formed))
        put("info", "reviewed_by", "Fiona Grant, Head of Corporate Services")
        key = (statutory or grant >= 100_000 or funding >= 25_000) and name not in NOT_KEY
        put("significance", "key_to_priorities", "Yes" if key else "No")
        put("significance", "national_influence", "Yes" if name in INFLUENCE else "No")
        put("significance", "major_service", "Yes" if statutory or grant >= 100_000 else "No")
        put("significance", "senior_representation", "Yes" if statutory and rnd.random() < 0.7 else "No")
        put("significance", "significant_resource", "Yes" if funding >= 25_000 else "No")
        put("significance", "annual_grant", float(grant))
        put("significance", "high_risk", "Yes" if statutory or grant >= 250_000 else "No")
        put("significance", "statutory_duty", "Yes" if statutory else "No")
        if grant or funding:
            put("significance", "partnership_budget", float((grant + funding) * rnd.choice([2, 3, 5])))
        if name not in NOT_ASSESSED and category in (STAT, COMM, NET, OTHER):
            base = rnd.choice([2, 3, 3, 4])
            for row in _table(spec, "assessment", "features").rows:  # type: ignore[union-attr]
                score = max(1, min(4, base + rnd.choice([-1, 0, 0, 1])))
                put("assessment", f"features_{row.id}_score", score)
                if score > 1 or rnd.random() < 0.5:
                    put("assessment", f"features_{row.id}_evidence", f"{rnd.choice(EVIDENCE)} {rnd.randint(2024, 2026)}")
        put_risk_checklist(name, body, grant, funding, lambda field, value: put("risk", field, value))
        if has_agreement:
            for row in _table(spec, "agreement", "elements").rows:  # type: ignore[union-attr]
                put("agreement", f"elements_{row.id}_status", "Covered by existing agreement")
        put("agreement", "signed_by_partners", "Signed by each partner" if has_agreement else "No agreement yet")
        if name in ENDED:
            put("evaluation", "reason", "Partnership concluded")
        records.append(Record(pid, status="Ended" if name in ENDED else "Active", values=v))
    return records


def put_risk_checklist(name: str, body: str, grant: int, funding: int, put: Callable[[str, object], None]) -> None:
    """The risk checklist as the partnership's officer answered it last year: sound, but for the planted gaps."""
    lead = body == "Wexbridge District Council"
    answers: dict[str, object] = {
        "tor_agreed": "Yes", "responsibilities_defined": "Yes", "responsibilities_agreed": "Yes",
        "transfers": "Yes" if grant or funding else "No", "accounts": "Yes" if grant or funding else "No",
        "own_audit": "Yes" if grant else "No", "council_audit": "Yes" if funding >= 25_000 else "No",
        "lead_authority": "Yes" if lead else "No", "monitoring_frequency": "Quarterly, by the partnership board",
        "liabilities_defined": "Yes", "insured": "Yes", "reporting_frequency": "Yes", "reporting_to": "Yes",
    }
    if grant or funding:
        answers["accounts_reported"] = "Yes"
    answers.update({"council_assessed": "Yes"} if lead else {"partnership_assessed": "Yes", "council_agrees": "Yes"})
    if name in RISK_GAPS:
        answers[RISK_GAPS[name]] = "No"
    for field, value in answers.items():
        put(field, value)


def _table(spec: Spec, form_id: str, table_id: str) -> Table:
    item = spec.form(form_id).item(table_id)
    assert isinstance(item, Table)
    return item


NOT_RETURNED = {"P005", "P014", "P021", "P027", "P033", "P036", "P040"}
STILL_OVERDUE = {"P020"}  # returned, but the review is still more than a year old
AS_ODS = {"P017", "P023", "P030"}


def completed(record: Record, spec: Spec, rnd: random.Random) -> dict[str, object]:
    """What a diligent officer types: a fresh review, and every required answer the register lacked."""
    from tests.returns import FRESH_REVIEW

    if record.status == "Ended":  # issued the evaluation only
        return {"evaluation_reason": "Partnership concluded", "evaluation_outcomes": "Delivered its action plan.",
                "evaluation_reason_details": "The partnership concluded when its funding ended.",
                "evaluation_lessons": "Agree an exit strategy at the start."}
    typed: dict[str, object] = {} if record.id in STILL_OVERDUE else dict(FRESH_REVIEW)
    for form in spec.workbooks["annual"].forms:
        for cell in layout_form(form).inputs:
            if not cell.required or record.get(cell.name) not in (None, ""):
                continue
            if cell.field.type == "score":
                typed[cell.name] = rnd.choice([2, 3, 3, 4])
            elif cell.field.type == "choice" and cell.table is not None:
                typed[cell.name] = "Not yet agreed"
            elif cell.field.type in ("text", "longtext"):
                typed[cell.name] = f"{rnd.choice(EVIDENCE)} {rnd.randint(2025, 2026)}"
    return typed


def make_returns(records: list[Record]) -> None:
    """Type this cycle's returns into the generated workbooks in LibreOffice and save them."""
    import shutil
    import tempfile

    from tests import returns

    workspace, rnd = Workspace.load(), random.Random(2028)
    spec, config = workspace.spec, workspace.config
    folder = HERE / "returns"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    planted = returns.plan() + [returns.proposal(config)]
    planted_ids = {item.source for item in planted}
    with tempfile.TemporaryDirectory() as tmp:
        issued = Path(tmp) / "issued"
        workspace.generate(issued, register=HERE / "register.xlsx", blank=True)
        items = [returns.Return(r.id, f"{r.id} {r.get(cell_name('info', 'name'))}".replace("/", "-").replace(":", "-"),
                                completed(r, spec, rnd))
                 for r in records if r.id not in NOT_RETURNED | planted_ids]
        by_format: dict[str, list[returns.Return]] = {"xlsx": planted, "ods": []}
        for item in items:
            by_format["ods" if item.source in AS_ODS else "xlsx"].append(item)
        for fmt, chosen in by_format.items():
            returns.fill_with_libreoffice(chosen, issued, folder, fmt, Path(tmp))
    returns.junk(folder)
    print(f"wrote {len(list(folder.iterdir()))} files to {folder}")


def main() -> None:
    records = make_records()
    Workspace.load().write_register(records, HERE / "register.xlsx", as_of=TODAY)
    print(f"wrote {HERE / 'register.xlsx'}")
    if "--register-only" not in sys.argv:
        make_returns(records)


if __name__ == "__main__":
    main()
