"""What a council writes in its settings is checked as it is loaded (issue 16, "Also").

partxl.toml: a value no policy could mean (a threshold of ``nan``, a review every 0 months), a text where a
list belongs (``strategic_objectives = "one"`` would offer the choices o, n and e), an empty list, a line break
in a name that goes into e-mail headers: each is an error naming the file, the key and what to write, every
problem of the file at once, and no traceback. A form definition that unfolds through YAML anchors and aliases
into billions of values (a "billion laughs") is refused at once, with the file named.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from partxl.config import ConfigError, load_config
from partxl.forms.definitions import MAX_DEFINITION_NODES, DefinitionError, load_spec

from .conftest import run_cli
from .peak import run_measured

TEMPLATES = Path(__file__).resolve().parent.parent / "workbook_templates"

# (what the council wrote, the key the message must name, words of what to write instead)
BAD_VALUES = [
    ("[policy]\ngrant_threshold = nan\n", "[policy] grant_threshold", "ordinary number"),
    ("[policy]\ngrant_threshold = inf\n", "[policy] grant_threshold", "ordinary number"),
    ("[policy]\ngrant_threshold = -5\n", "[policy] grant_threshold", "more than 0"),
    ("[policy]\nreview_interval_months = 0\n", "[policy] review_interval_months", "from 1 to 120"),
    ("[policy]\nreview_interval_months = -12\n", "[policy] review_interval_months", "from 1 to 120"),
    ("[policy]\nreview_interval_months = 1200\n", "[policy] review_interval_months", "from 1 to 120"),
    ("[policy]\nreview_interval_months = true\n", "[policy] review_interval_months", "whole number"),
    ("[smtp]\nport = -25\n", "[smtp] port", "from 1 to 65535"),
    ('[lists]\nstrategic_objectives = "one"\n', "[lists] strategic_objectives", '["one"]'),
    ("[lists]\nstrategic_objectives = []\n", "[lists] strategic_objectives", "at least one"),
    ("[lists]\nstrategic_objectives = [1, 2]\n", "[lists] strategic_objectives", "list of texts"),
    ('[publish]\nfields = "Partnership ID"\n', "[publish] fields", '["Partnership ID"]'),
    ("[publish]\nfields = []\n", "[publish] fields", "at least one"),
    ("[policy]\nsignificant_if = []\n", "[policy] significant_if", "key_to_priorities"),
    ('[policy]\nagreement_types = { "Network group / forum" = [] }\n', "[policy] agreement_types", "leave the category out"),
    ('[council]\nname = "Wexbridge\\r\\nBcc: everyone@example.com"\n', "[council] name", "on one line"),
    ('[council]\nname = ""\n', "[council] name", "is empty"),
    ('[cycle]\nname = "2026/27\\u2028"\n', "[cycle] name", "on one line"),
    ('[mio]\nname = "Priya \\u001b[31mShah"\n', "[mio] name", "on one line"),
    ('[mio]\nemail = "mio@council.example\\nBcc: x@y.z"\n', "[mio] email", "on one line"),
    ('[mio]\nemail = "mio@council.example, everyone@council.example"\n', "[mio] email", "not one e-mail address"),
    ('[[officers]]\nname = "Alan\\nWhitfield"\nemail = "alan@council.example"\n', "[[officers]] name", "on one line"),
    ('[[officers]]\nname = "Alan"\nemail = "Alan <alan@council.example>"\n', "[[officers]] 'Alan' email", "not one e-mail"),
    ('[[officers]]\nname = 7\nemail = "alan@council.example"\n', "[[officers]] entry", "all text"),
    ('officers = "Alan Whitfield"\n', "officers should be a list", "[[officers]]"),
    ('[[members]]\nname = "Cllr Ellis"\nemail = "ellis@council.example"\nservice = "Cabinet\\tMember"\n',
     "[[members]] 'Cllr Ellis' service", "on one line"),
    ('[paths]\nregister = ""\n', "[paths] register", "is empty"),
    ("[paths]\ntemplates = 5\n", "[paths] templates", "text in quotes"),
    ("[cycle]\ndeadline = 2027-01-01\nissue_date = 2027-04-19\n", "[cycle] deadline 2027-01-01 is before issue_date", "correct one"),
]


@pytest.mark.parametrize("written,key,instead", BAD_VALUES, ids=[b[0].strip() for b in BAD_VALUES])
def test_a_value_no_council_could_mean_is_named_with_what_to_write(tmp_path: Path, written: str, key: str, instead: str):
    config = tmp_path / "partxl.toml"
    config.write_text(written, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(config) in str(caught.value) and key in str(caught.value) and instead in str(caught.value)
    code, out, err = run_cli("--config", str(config), "generate", "--out", str(tmp_path / "out"))
    assert code == 2 and key in err and "Traceback" not in err
    assert "\x1b" not in err and "\r" not in err, "the bad characters themselves are shown escaped"
    assert not (tmp_path / "out").exists()


def test_every_problem_of_the_file_is_said_at_once(tmp_path: Path):
    config = tmp_path / "partxl.toml"
    config.write_text('[policy]\ngrant_threshold = nan\nreview_interval_months = 0\n[lists]\nstrategic_objectives = "one"\n'
                      '[council]\nname = "A\\nB"\n[mio]\nname = "\\u0007"\n[cunccil]\nname = "typo"\n', encoding="utf-8")
    code, _, err = run_cli("--config", str(config), "status", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert "6 problems" in err
    for key in ("grant_threshold", "review_interval_months", "strategic_objectives", "[council] name", "[mio] name",
                "unknown section [cunccil]"):
        assert key in err


def test_settings_that_name_form_answers_say_every_mistake_at_once(tmp_path: Path):
    config = tmp_path / "partxl.toml"
    config.write_text('[policy]\nsignificant_if = ["key_to_priorites", "national_influense"]\n'
                      'agreement_types = { "Talking shop" = ["Terms of reference"] }\n', encoding="utf-8")
    code, _, err = run_cli("--config", str(config), "generate", "--out", str(tmp_path / "out"))
    assert code == 2 and "3 problems" in err
    assert "'key_to_priorites'" in err and "'national_influense'" in err and "'Talking shop'" in err


def test_the_shipped_settings_and_a_fresh_workspace_still_load(tmp_path: Path):
    assert load_config(None).review_interval_months == 12
    code, _, err = run_cli("init", str(tmp_path / "ws"))
    assert code == 0, err
    assert load_config(tmp_path / "ws" / "partxl.toml").strategic_objectives == load_config(None).strategic_objectives


def test_an_integer_threshold_and_a_ten_year_interval_are_fine(tmp_path: Path):
    config = tmp_path / "partxl.toml"
    config.write_text("[policy]\ngrant_threshold = 50000\nreview_interval_months = 120\n", encoding="utf-8")
    loaded = load_config(config)
    assert loaded.grant_threshold == 50000.0 and loaded.review_interval_months == 120


# ---------------------------------------------------------------- YAML anchors and aliases


def _laughs(levels: int) -> str:
    """A "billion laughs": each level an anchor of nine aliases of the level before; ``levels`` of them unfold to
    9 ** levels values."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def _templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return folder


@pytest.mark.parametrize("text,problem", [
    (_laughs(10), "unfold into more than"),
    ("lol: &lol [1, [2, *lol]]\n", "used inside itself"),
], ids=["billion laughs", "an anchor inside itself"])
def test_a_form_file_of_aliases_that_unfold_without_end_is_refused(tmp_path: Path, text: str, problem: str):
    folder = _templates(tmp_path)
    path = folder / "info.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path == path and problem in caught.value.problem


def test_the_alias_bomb_is_refused_through_the_command_within_a_small_memory_and_time_limit(tmp_path: Path):
    """In its own process, with 1 GiB of address space and a time limit: the bomb unfolded would need far more."""
    folder = _templates(tmp_path)
    (folder / "risk.yaml").write_text(_laughs(12) + (folder / "risk.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "partxl.toml"
    config.write_text(f'[paths]\ntemplates = "{folder}"\n', encoding="utf-8")
    done, _ = run_measured([sys.executable, "-m", "partxl", "--config", str(config), "generate", "--blank", "--out",
                            str(tmp_path / "out")], tmp_path / "peak.json", memory=1 << 30, timeout=120)
    assert done.returncode == 2 and "risk.yaml" in done.stderr and "aliases" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_few_aliases_still_work(tmp_path: Path):
    """A council may share a block with an anchor, as YAML allows: the bound is on the unfolded size, far above a form."""
    folder = _templates(tmp_path)
    path = folder / "info.yaml"
    path.write_text(path.read_text(encoding="utf-8") + _laughs(4), encoding="utf-8")  # 9 ** 4 = 6,561 values
    assert MAX_DEFINITION_NODES > 9 ** 4
    with pytest.raises(DefinitionError) as caught:  # the extra keys are not the form's: named as such, not as aliases
        load_spec(folder)
    assert "lol0" in str(caught.value) and "aliases" not in str(caught.value)


def test_a_huge_form_file_is_refused_before_it_is_parsed(tmp_path: Path):
    folder = _templates(tmp_path)
    path = folder / "info.yaml"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * (3 << 20) + "\n")
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path == path and "larger than" in caught.value.problem


def test_the_refusal_is_one_line_with_no_traceback(tmp_path: Path):
    folder = _templates(tmp_path)
    (folder / "agreement.yaml").write_text(_laughs(9), encoding="utf-8")
    config = tmp_path / "partxl.toml"
    config.write_text(f'[paths]\ntemplates = "{folder}"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "partxl", "--config", str(config), "status", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "agreement.yaml" in done.stderr and "Traceback" not in done.stderr
