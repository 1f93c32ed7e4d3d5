"""The annual cycle: roll forward, status and chasing, publishing — through the CLI."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import openpyxl
import pytest

from partxl.forms.definitions import load_spec
from partxl.forms.layout import layout_form

from .conftest import SAMPLE_REGISTER, run_cli
from .inspect_xlsx import defined_cells, load, metadata

AS_OF = "2027-04-19"


@pytest.fixture(scope="module")
def cycle(sample_cycle: Path) -> Path:
    return sample_cycle


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    book = openpyxl.load_workbook(path)
    if sheet not in book.sheetnames:
        return []
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0]]


def test_roll_forward_issues_next_cycle_from_this_cycles_register(cycle: Path, tmp_path: Path):
    (tmp_path / "partxl.toml").write_text('[cycle]\nname = "2027/28"\ndeadline = 2028-06-23\nissue_date = 2028-03-27\n'
                                          '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')
    out = tmp_path / "workbooks"
    code, printed, err = run_cli("--config", str(tmp_path / "partxl.toml"), "generate", "--register", str(cycle / "register.xlsx"),
                                 "--out", str(out), "--json")
    assert code == 0, err
    active = {r["Partnership ID"]: r for r in _sheet_rows(cycle / "register.xlsx", "Register")}
    ceased = {r["Partnership ID"] for r in _sheet_rows(cycle / "register.xlsx", "Ceased")}
    closed = {r["Partnership ID"] for r in _sheet_rows(cycle / "register.xlsx", "Closed")}
    assert closed and ceased  # the samples have ended partnerships evaluated and not yet evaluated
    books = {}
    for path in out.glob("*.xlsx"):
        book = load(path)
        books[metadata(book)["partnership_id"]] = book
    assert set(books) == set(active) | ceased
    for pid, book in books.items():
        meta = metadata(book)
        assert (meta["cycle"], meta["deadline"]) == ("2027/28", "2028-06-23")
        assert meta["workbook"] == ("ended" if pid in ceased else "annual"), pid
    p015 = books["P015"]
    cell = defined_cells(p015)["info_reviewed_by"]
    assert p015[cell.sheet][cell.address].value == "New Reviewer"  # typed this cycle, pre-filled next
    for pid in ceased:
        assert books[pid].sheetnames[2:] == ["Evaluation"]
        cell = defined_cells(books[pid])["evaluation_reason"]
        assert books[pid][cell.sheet][cell.address].value == "Partnership concluded"
    proposed = _sheet_rows(cycle / "register.xlsx", "Proposed")
    assert [r["Status"] for r in proposed] == ["Proposed"] and proposed[0]["Partnership ID"].startswith("NEW-")
    assert proposed[0]["Partnership ID"] not in books  # not issued until SMT agrees it
    found = {(f["code"], f["partnership"]) for f in json.loads(printed)["findings"]}
    assert ("PROPOSAL_NOT_ISSUED", proposed[0]["Partnership ID"]) in found


def test_a_proposal_agreed_in_the_register_is_issued_under_its_permanent_id(cycle: Path, tmp_path: Path):
    book = openpyxl.load_workbook(cycle / "register.xlsx")
    row = [c.value for c in book["Proposed"][2]]
    header = [c.value for c in book["Proposed"][1]]
    agreed = dict(zip(header, row, strict=True)) | {"Partnership ID": "P041", "Status": "Active"}  # as the MIO records SMT's agreement
    register = book["Register"]
    register.append([agreed.get(c.value) for c in register[1]])
    book["Proposed"].delete_rows(2)
    book.save(tmp_path / "agreed.xlsx")
    code, printed, err = run_cli("generate", "--register", str(tmp_path / "agreed.xlsx"), "--out", str(tmp_path / "wb"),
                                 "--only", "P041", "--json", "--force")  # this cycle's register: issued now, this cycle
    assert code == 0, err
    issued, = (tmp_path / "wb").glob("*.xlsx")
    assert issued.name.startswith("P041 ") and metadata(load(issued))["partnership_name"] == "Wexbridge Youth Voice Forum"


NOT_RETURNED = {"P005", "P014", "P021", "P027", "P033", "P036", "P040"}  # as samples/make_samples.py leaves them


def test_status_per_officer_and_in_the_report(cycle: Path, tmp_path: Path, sample_returns: Path):
    code, out, err = run_cli("status", str(sample_returns), "--out", str(tmp_path), "--previous",
                             str(SAMPLE_REGISTER), "--as-of", "2027-07-12", "--json")
    assert code == 1, err  # some partnerships need action
    states = {p["id"]: (o["officer"], p["state"]) for o in json.loads(out)["officers"] for p in o["partnerships"]}
    register = {r["Partnership ID"]: r for sheet in ("Register", "Ceased") for r in _sheet_rows(cycle / "register.xlsx", sheet)}
    assert set(states) == set(register)
    for pid, (officer, state) in states.items():
        assert officer == register[pid]["Lead officer"]
        if register[pid]["Returned"] == "Returned":
            assert state == "returned", pid
        elif pid in NOT_RETURNED:
            assert state == "late", pid  # nothing received, and the deadline has passed
    assert states["P002"][1] == "with errors" and states["P009"][1] == "with errors"
    code, out, _ = run_cli("status", str(sample_returns), "--out", str(tmp_path), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json")
    assert {p["state"] for o in json.loads(out)["officers"] for p in o["partnerships"] if p["id"] in NOT_RETURNED} == {"outstanding"}
    sheet = _sheet_rows(cycle / "validation_report.xlsx", "Status by officer")
    assert {(r["Partnership"], r["State"]) for r in sheet} >= {("P002", "with errors"), ("P005", "outstanding")}


def _reminders(folder: Path) -> dict[str, object]:
    from email import policy
    from email.parser import BytesParser

    return {p.stem: BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))}


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("issued")
    code, _, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(out))
    assert code == 0, err
    return out


def test_chase_writes_one_polite_specific_reminder_per_officer(cycle: Path, issued: Path, tmp_path: Path, config, sample_returns: Path):
    code, _, err = run_cli("chase", str(sample_returns), "--out", str(tmp_path / "out"), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", "2027-07-12", "--to", str(tmp_path / "mail"), "--workbooks", str(issued))
    assert code == 0, err
    messages = _reminders(tmp_path / "mail")
    code, out, _ = run_cli("status", str(sample_returns), "--out", str(tmp_path / "out"), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", "2027-07-12", "--json")
    status = json.loads(out)["officers"]
    needing = {o["officer"]: o for o in status if any(p["state"] in ("late", "outstanding", "with errors") for p in o["partnerships"])}
    assert set(messages) == set(needing)
    for officer, message in messages.items():
        entry = needing[officer]
        assert message["To"].addresses[0].addr_spec == config.officer(officer).email
        assert message["From"].addresses[0].addr_spec == config.mio_email
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert body.startswith(f"Dear {officer.split()[0]},")
        attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
        for p in entry["partnerships"]:
            if p["state"] in ("late", "outstanding", "with errors"):
                assert p["id"] in body
            if p["state"] == "late":
                issued_file, = issued.glob(f"{p['id']} *.xlsx")
                assert attachments[issued_file.name] == issued_file.read_bytes()
            if p["state"] == "with errors":
                returned = sample_returns / p["files"][-1]
                assert attachments[returned.name] == returned.read_bytes()
    deborah = messages["Deborah Lane"].get_body(preferencelist=("plain",)).get_content()
    objective = layout_form(load_spec().form("info")).by_name["info_strategic_objective"].a1
    assert f"Information!{objective}" in deborah and "Better bins" in deborah and "What would be right" in deborah


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return key, cert


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chase_send_delivers_through_starttls_and_login(cycle: Path, issued: Path, tmp_path: Path, monkeypatch, sample_returns: Path):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    key, cert = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content, session.authenticated))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mio" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        (tmp_path / "partxl.toml").write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = true\nusername = "mio"\n'
            f'password_env = "TEST_SMTP_PASSWORD"\ncafile = "{cert}"\n'
            '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')
        args = ["--config", str(tmp_path / "partxl.toml"), "chase", str(sample_returns), "--out", str(tmp_path / "out"),
                "--previous", str(SAMPLE_REGISTER), "--as-of", "2027-07-12", "--to", str(tmp_path / "mail"),
                "--workbooks", str(issued), "--send"]
        code, _, err = run_cli(*args)
        assert code == 2 and "TEST_SMTP_PASSWORD" in err and not received  # no password, nothing sent
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        code, out, err = run_cli(*args)
        assert code == 0, err
    finally:
        controller.stop()
    written = _reminders(tmp_path / "mail")
    assert len(received) == len(written) > 0
    from email import policy
    from email.parser import BytesParser

    for rcpt, content, authenticated in received:
        assert authenticated
        message = BytesParser(policy=policy.default).parsebytes(content)
        original = written[message["To"].addresses[0].display_name]
        assert rcpt == [message["To"].addresses[0].addr_spec]
        assert [(a.get_filename(), a.get_content()) for a in message.iter_attachments()] == \
            [(a.get_filename(), a.get_content()) for a in original.iter_attachments()]
        assert original["X-Unsent"] == "1" and message["X-Unsent"] is None  # a draft on disk; sent as a message


HOSTILE = {"Partnership name": "<script>alert(1)</script>", "Accountable body": "=cmd|' /C calc'!A0",
           "Main purpose": "+44 1234 567890 is the helpline", "Member organisations": "@everyone\nand\tothers"}


@pytest.fixture(scope="module")
def published(cycle: Path, tmp_path_factory) -> Path:
    """The consolidated sample register with hostile text planted in P001, published."""
    folder = tmp_path_factory.mktemp("public")
    book = openpyxl.load_workbook(cycle / "register.xlsx")
    sheet = book["Register"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "P001")
    for heading, text in HOSTILE.items():
        row[header.index(heading)].value = text
        row[header.index(heading)].data_type = "s"
    book.save(folder / "register.xlsx")
    code, _, err = run_cli("publish", str(folder / "register.xlsx"), "--out", str(folder / "site"), "--as-of", AS_OF)
    assert code == 0, err
    return folder


def test_the_public_csv_is_safe_in_excel_and_holds_public_fields_only(published: Path, config):
    raw = (published / "site" / "register.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "£".encode() in raw
    rows = list(__import__("csv").reader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    header, body = rows[0], rows[1:]
    assert header == list(config.public_fields)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    p001 = next(r for r in body if r[0] == "P001")
    assert p001[header.index("Accountable body")] == "'=cmd|' /C calc'!A0"
    assert p001[header.index("Partnership name")] == "<script>alert(1)</script>"
    text = raw.decode("utf-8-sig")
    register = _sheet_rows(published / "register.xlsx", "Register")
    for officer in config.officers:
        assert officer.email not in text
    for r in register:
        if r["Risks for the Authority"]:
            assert r["Risks for the Authority"] not in text
    assert {r[0] for r in body} == {r["Partnership ID"] for r in register}


@pytest.fixture(scope="module")
def browser():
    import shutil as sh

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (sh.which("chromium") and sh.which("chromedriver")):
        message = "Chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        if __import__("os").environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = sh.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(sh.which("chromedriver")))
    yield driver
    driver.quit()


def test_the_public_page_searches_sorts_and_shows_hostile_text_as_text(published: Path, browser, tmp_path: Path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get((published / "site" / "index.html").as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - the script in the name never ran
    rows = browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")
    assert len(rows) == 30  # the proposal SMT has not agreed is not published, nor what is not a partnership
    p001 = next(r for r in rows if r.find_elements(By.TAG_NAME, "td")[0].text == "P001")
    assert p001.find_elements(By.TAG_NAME, "td")[1].text == "<script>alert(1)</script>"
    assert browser.execute_script("return document.querySelectorAll('tbody script').length") == 0
    search = browser.find_element(By.ID, "search")
    search.send_keys("flood")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in visible] == ["P006"]
    assert browser.find_element(By.ID, "count").text == "1 of 30 partnerships shown"
    search.clear()
    search.send_keys(" ")
    search.send_keys("\b")
    header = browser.find_element(By.XPATH, "//th[normalize-space()='Annual grant (£)']")
    header.find_element(By.TAG_NAME, "button").click()
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "descending"
    grants = [r.find_elements(By.TAG_NAME, "td")[10].get_attribute("data-sort") or "" for r in
              browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")]
    assert grants == sorted(grants, reverse=True) and grants[0] > grants[-1]
    browser.save_screenshot(str(tmp_path / "public-register.png"))
    assert (tmp_path / "public-register.png").stat().st_size > 10_000


def test_the_public_page_works_without_javascript(published: Path):
    page = (published / "site" / "index.html").read_text()
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 30 and "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert '<th scope="col"' in page and "<caption" in page and 'lang="en-GB"' in page and "@media print" in page


def test_rolling_forward_into_the_cycle_the_register_holds_needs_force(cycle: Path, tmp_path: Path):
    code, _, err = run_cli("generate", "--register", str(cycle / "register.xlsx"), "--out", str(tmp_path / "wb"))
    assert code == 2 and "already holds the returns of the 2026/27 cycle" in err and "--force" in err
    assert not (tmp_path / "wb").exists()
    code, _, err = run_cli("generate", "--register", str(cycle / "register.xlsx"), "--out", str(tmp_path / "wb"), "--force",
                           "--only", "P001")
    assert code == 0 and len(list((tmp_path / "wb").glob("P001 *.xlsx"))) == 1, err
