"""The fields and choice labels partxl's own code relies on, declared once.

A council edits its forms (``workbook_templates/*.yaml``) freely, but a few answers drive what
partxl works out: the register's order and what it leaves out (the category and its labels), the
grant threshold (the annual grant), reviews, representatives, the assessment scores, and whether
an ended partnership has been evaluated. Code reads those answers through the names here, and
:func:`partxl.forms.definitions.load_spec` checks every one of them when the forms load, so a
council that renames one gets an error naming the file and the field, never silent misbehaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from partxl.forms.names import cell_name

STATUTORY = "Statutory partnership"
COMMUNITY = "Community-based partnership"
NETWORK = "Network group / forum"
OTHER_NON_STATUTORY = "Other non-statutory partnership"
CONTRACTUAL = "Contractual arrangement"
SHARED_SERVICE = "Shared service"
JOINT_WORKING = "Joint working / collaborative working arrangement"
GRANT_RECIPIENT = "Grant recipient"
COMMISSIONED = "Commissioned service"
# The register's order (Partnership Policy, "The Partnership Register"): Statutory Partnerships, then Non-Statutory
# Partnerships: community based partnerships and network groups / forums, then any other non-statutory partnership.
CATEGORY_ORDER = (STATUTORY, COMMUNITY, NETWORK, OTHER_NON_STATUTORY)
NON_STATUTORY = (COMMUNITY, NETWORK, OTHER_NON_STATUTORY)
# Not partnerships under the policy (its Definitions, and the significance guidance): left off the register.
EXCLUDED_CATEGORIES = (CONTRACTUAL, SHARED_SERVICE, JOINT_WORKING, GRANT_RECIPIENT, COMMISSIONED)
CONCLUDED = "Partnership concluded"  # the evaluation's reason once a partnership has ended


@dataclass(frozen=True)
class Needed:
    """One field (or table, or computed value) partxl's code relies on, and what for."""

    form: str
    id: str
    types: tuple[str, ...]  # field types accepted ("table", or "computed" for a worked-out value)
    purpose: str  # said to the council officer whose edit broke it
    choices: tuple[str, ...] = ()  # labels the code compares answers with: each must stay in the list
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a table's columns and their types
    fixed: bool | None = None  # a table whose rows are listed (True) or repeat (False)

    @property
    def cell(self) -> str:
        """The cell name of a scalar field's answer (the key of the answer in a record)."""
        return cell_name(self.form, self.id)

    def column(self, row: str, column: str) -> str:
        """The cell name of one of a table's cells."""
        assert column in self.columns, f"{self.id} has no column {column} in the contract"
        return cell_name(self.form, self.id, row, column)


_TEXT = ("text", "longtext")

NAME = Needed("info", "name", ("text",), "the partnership's name on every output")
CATEGORY = Needed("info", "category", ("choice",), "the register's order and what it leaves out",
                  choices=CATEGORY_ORDER + EXCLUDED_CATEGORIES)
LEAD_OFFICER = Needed("info", "lead_officer", ("choice", "text"), "whom workbooks are issued to and reminders sent")
ACCOUNTABLE_BODY = Needed("info", "accountable_body", _TEXT, "the register's reader columns")
COUNCIL_FUNDING = Needed("info", "council_funding", ("money",), "the finance figures")
ADDITIONAL_FUNDS = Needed("info", "additional_funds", ("money",), "the finance figures")
BUDGET_POSITION = Needed("info", "budget_position", ("choice", "text"), "the finance sheet")
HAS_AGREEMENT = Needed("info", "has_agreement", ("yesno",), "the register's reader columns")
AGREEMENT_TYPE = Needed("info", "agreement_type", ("choice", "text"), "the register's reader columns")
EXIT_STRATEGY = Needed("info", "exit_strategy", ("yesno",), "the register's reader columns")
REVIEW_DATE = Needed("info", "review_date", ("date",), "when a review is due and whether it is overdue")
DATE_FORMED = Needed("info", "date_formed", ("date",), "the register's reader columns")
END_DATE = Needed("info", "end_date", ("date",), "when a partnership has ended")
RISKS = Needed("info", "risks", _TEXT, "the compliance sheet (risks not stated)")
REPRESENTATIVES = Needed("info", "reps", ("table",), "current representatives and changes of representative",
                         columns={"name": _TEXT, "started": ("date",), "finished": ("date",)}, fixed=False)
ANNUAL_GRANT = Needed("significance", "annual_grant", ("money",), "the grant threshold flag for finance")
GRANT_OVER_THRESHOLD = Needed("significance", "grant_over_threshold", ("computed",), "the grant threshold flag")
SIGNIFICANT = Needed("significance", "significant", ("computed",), "which partnerships are significant")
SHOWS_FEATURES = Needed("significance", "shows_features", ("computed",),
                        "the features of a significant partnership each shows (the evidence of significance)")
SCORES = Needed("assessment", "features", ("table",), "the assessment scores, heat map and priorities for action",
                columns={"score": ("score",), "evidence": _TEXT}, fixed=True)
EVALUATION_REASON = Needed("evaluation", "reason", ("choice",), "whether an ended partnership has been evaluated",
                           choices=(CONCLUDED,))
LESSONS = Needed("evaluation", "lessons", _TEXT, "whether an ended partnership has been evaluated")

NEEDED = (NAME, CATEGORY, LEAD_OFFICER, ACCOUNTABLE_BODY, COUNCIL_FUNDING, ADDITIONAL_FUNDS, BUDGET_POSITION, HAS_AGREEMENT,
          AGREEMENT_TYPE, EXIT_STRATEGY, REVIEW_DATE, DATE_FORMED, END_DATE, RISKS, REPRESENTATIVES, ANNUAL_GRANT,
          GRANT_OVER_THRESHOLD, SIGNIFICANT, SHOWS_FEATURES, SCORES, EVALUATION_REASON, LESSONS)
