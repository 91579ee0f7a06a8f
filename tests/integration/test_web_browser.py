"""riskhub-web in a real browser (issue 13): headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) signs a township official in, is refused with a
wrong password first, watches a new warning arrive without reloading, records a home
visit's outcome through the page's dialog, and signs out; then the bureau's view. The
screenshots of each step are kept in <build>/test-artifacts/web/ (the build of the
programs under test: build/ or build-asan/).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import shutil

import pytest
from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

import rhtest
from rhtest import pg_rows

ARTIFACTS = rhtest.BIN.parent / "test-artifacts" / "web"


@pytest.fixture
def browser(tmp_path):
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "chromium and chromium-driver: scripts/deps.sh installs them"
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--lang=zh-CN", "--no-proxy-server",
              f"--user-data-dir={tmp_path / 'profile'}"):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(driver_path), options=o)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def shot(d, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert d.save_screenshot(str(ARTIFACTS / f"{name}.png")), name


def wait(d, what, cond, timeout=15):
    try:
        # the page rebuilds its list: an element found may be gone by the next look
        return WebDriverWait(d, timeout, poll_frequency=0.2,
                             ignored_exceptions=(NoSuchElementException,
                                                 StaleElementReferenceException)).until(
            lambda _: cond())
    except Exception as e:
        shot(d, "failed-" + what.replace(" ", "-"))
        raise AssertionError(f"{what}: not within {timeout}s ({e!r})") from None


def text_of(d, id_):
    return d.find_element(By.ID, id_).text


def test_an_official_signs_in_sees_a_warning_arrive_and_records_the_visit(ns, tmp_path, cfg,
                                                                          browser):
    d = browser
    a, b = cfg["townships"][0], cfg["townships"][1]
    assert rhtest.add_web_user(ns, "wang.li", "--township", a["code"]).returncode == 0
    assert rhtest.add_web_user(ns, "bureau", "--bureau").returncode == 0
    rhtest.ledger_warning(ns, "al-1", a["code"], "003", "0012", due="2099-01-01")
    rhtest.ledger_warning(ns, "al-other", b["code"], "001", "0001")
    srv = rhtest.WebServer(ns, tmp_path / "web.log")
    try:
        d.get(srv.url)
        wait(d, "the sign-in form", lambda: d.find_element(By.ID, "signin").is_displayed())
        assert d.title == "防返贫监测预警"
        d.find_element(By.ID, "user").send_keys("wang.li")
        d.find_element(By.ID, "password").send_keys("not-the-password-1")
        d.find_element(By.ID, "signin-button").click()
        wait(d, "the refusal", lambda: text_of(d, "signin-error") == "用户名或密码不正确")
        shot(d, "1-refused")
        d.find_element(By.ID, "user").clear()
        d.find_element(By.ID, "user").send_keys("wang.li")
        d.find_element(By.ID, "password").send_keys(rhtest.WEB_PASSWORD)
        d.find_element(By.ID, "signin-button").click()
        wait(d, "the township's list", lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-alert]"))
        assert a["name"] in text_of(d, "who") and a["name"] in text_of(d, "count")
        assert not d.find_element(By.ID, "signin").is_displayed(), "the sign-in form stays"
        rows = d.find_elements(By.CSS_SELECTOR, "tr[data-alert]")
        assert [r.get_attribute("data-alert") for r in rows] == ["al-1"]
        assert f"村 {a['code']}-003" in d.page_source and "al-other" not in d.page_source
        shot(d, "2-signed-in")

        # a new warning: the ledger writes it; the open page hears of it
        rhtest.ledger_warning(ns, "al-2", a["code"], "001", "0004", due="2099-01-01",
                              risk="DISABILITY")
        wait(d, "the new warning on the page",
             lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-alert='al-2']"))
        assert text_of(d, "notice") == "收到 1 条新预警"
        assert "因残" in d.find_element(By.CSS_SELECTOR, "tr[data-alert='al-2']").text
        shot(d, "3-new-warning")

        # the home visit
        d.find_element(By.CSS_SELECTOR, "tr[data-alert='al-2'] button.record").click()
        wait(d, "the visit dialog", lambda: d.find_element(By.ID, "visit").is_displayed())
        # 排除预警 asks for one of the county's reasons; the others do not
        Select(d.find_element(By.ID, "outcome")).select_by_value("DISMISSED")
        assert d.find_element(By.ID, "reason").is_displayed()
        labels = [o.text for o in Select(d.find_element(By.ID, "reason")).options]
        assert labels == [r["label"] for r in cfg["verification"]["not_included_reasons"]], labels
        Select(d.find_element(By.ID, "outcome")).select_by_value("PROPOSED")
        assert not d.find_element(By.ID, "reason").is_displayed()
        d.find_element(By.ID, "note").send_keys("入户核实：因残致贫风险，建议纳入监测")
        shot(d, "4-visit-dialog")
        d.find_element(By.ID, "visit-save").click()
        wait(d, "the dialog closed", lambda: not d.find_element(By.ID, "visit").is_displayed())
        assert text_of(d, "notice").startswith("已提交"), text_of(d, "notice")
        # published, not written: the ledger applies it, and the open page hears of it
        assert pg_rows(ns.conninfo, "SELECT state FROM warnings WHERE alert_id = 'al-2'") == [
            ("PUSHED",)]
        topic = f"verifications.{a['code']}"
        rhtest.wait_for(lambda: len(ns.read_topic(topic, timeout=10)) == 1, 60, f"the step on {topic}")
        rhtest.run_ledger(ns)
        wait(d, "the outcome on the page", lambda: "拟纳入监测" in d.find_element(
            By.CSS_SELECTOR, "tr[data-alert='al-2']").text)
        assert not d.find_elements(By.CSS_SELECTOR, "tr[data-alert='al-2'] button.record")
        assert pg_rows(ns.conninfo, "SELECT state FROM warnings WHERE alert_id = 'al-2'") == [
            ("PROPOSED",)]
        assert pg_rows(ns.conninfo, "SELECT alert_id, outcome, recorded_by, source, "
                       "coalesce(refused, '') FROM warning_steps") == [
            ("al-2", "PROPOSED", "wang.li", "riskhub-web", "")]
        assert pg_rows(ns.conninfo, "SELECT visit_id FROM web_visits") == []
        shot(d, "5-recorded")
        rhtest.assert_no_full_id(d.page_source)

        d.find_element(By.ID, "signout").click()
        wait(d, "signed out", lambda: d.find_element(By.ID, "signin").is_displayed())
        assert not d.find_element(By.ID, "township").is_displayed(), "the list stays signed out"
        d.refresh()
        wait(d, "still signed out", lambda: d.find_element(By.ID, "signin").is_displayed())
        assert not d.find_elements(By.CSS_SELECTOR, "tr[data-alert]")

        # the bureau: the month's figures of every township
        d.find_element(By.ID, "user").send_keys("bureau")
        d.find_element(By.ID, "password").send_keys(rhtest.WEB_PASSWORD)
        d.find_element(By.ID, "signin-button").click()
        wait(d, "the bureau's view", lambda: d.find_element(By.ID, "bureau").is_displayed())
        assert not d.find_element(By.ID, "signin").is_displayed()
        period = d.find_element(By.ID, "period")
        d.execute_script("arguments[0].value = '2026-10'; arguments[0].dispatchEvent("
                         "new Event('change'))", period)
        wait(d, "the townships' figures", lambda: a["name"] in text_of(d, "towns"))
        row = [r for r in d.find_elements(By.CSS_SELECTOR, "#towns tbody tr") if a["name"] in r.text][0]
        assert [c.text for c in row.find_elements(By.TAG_NAME, "td")][:5] == [
            a["name"], "2", "1", "1", "0"]
        assert "未报送" in text_of(d, "lists")
        bars = d.find_elements(By.CSS_SELECTOR, "#chart .month")
        assert [m.get_attribute("title") for m in bars] == ["2026-10：预警 3，已核实 1"]
        shot(d, "6-bureau")
    except WebDriverException:
        shot(d, "failed")
        raise
    finally:
        srv.stop()
