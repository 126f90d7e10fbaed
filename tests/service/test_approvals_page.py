"""The approvals page in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium):
an approver signs in, approves one held call and denies another while two client requests wait on
``/v1/guardrail/before``; the waiting requests complete with allow and deny."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from hooks.service.page import SECURITY_HEADERS
from tests.conftest import REPO_ROOT
from tests.service.conftest import ALICE_TOKEN, Background, Service, until, wait_for_pending

SCREENSHOT = REPO_ROOT / "docs" / "approvals-page.png"

pytestmark = pytest.mark.slow  # the browser fixture skips, naming the packages, where Chromium is missing


def test_the_page_is_served_with_a_strict_policy(service: Service) -> None:
    with httpx.Client(base_url=service.url) as anonymous:
        page = anonymous.get("/approvals")
        script = anonymous.get("/approvals/app.js")
        style = anonymous.get("/approvals/app.css")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for response in (page, script, style):
        for header, value in SECURITY_HEADERS.items():
            assert response.headers[header] == value
    assert "<script>" not in page.text  # no inline code: the CSP allows scripts from this origin only
    assert "textContent" in script.text and "innerHTML" not in script.text
    with service.client() as app:  # the page is not part of the API document
        assert "/approvals" not in app.get("/openapi.json").json()["paths"]


def test_an_approver_approves_one_held_call_and_denies_another_in_chromium(service: Service, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    calls = {
        "send_money": Background(service, "/v1/guardrail/before", {
            "conversationId": "conv-pay", "userId": "dave", "toolName": "send_money",
            "toolInput": {"amount": 25, "to": "GB33BUKB20201555555555"},
        }),
        "shell": Background(service, "/v1/guardrail/before", {
            "conversationId": "conv-ops", "userId": "erin", "toolName": "send_money",
            "toolInput": {"amount": 9000, "to": "<img src=x onerror=alert(1)>"},
        }),
    }  # fmt: skip
    for call in calls.values():
        call.start()
    with service.client() as app:
        wait_for_pending(app, 2)

    browser.get(f"{service.url}/approvals")
    browser.find_element(By.ID, "token").send_keys(ALICE_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    rows = until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2)
    assert rows
    table = browser.find_element(By.ID, "rows").text
    assert "conv-pay" in table and "conv-ops" in table and "dave" in table and "erin" in table
    assert "<img src=x onerror=alert(1)>" in table  # shown as text, never run
    assert browser.execute_script("return document.querySelectorAll('#rows img').length") == 0
    assert " s" in browser.find_element(By.CSS_SELECTOR, "#rows td.left").text  # time left, counting down
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BSH_UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        browser.save_screenshot(str(SCREENSHOT))

    # Approve the first (comment optional), deny the second (comment required: the page refuses without one).
    def row_for(conversation: str) -> Any:  # one lookup: rows come and go with every poll
        xpath = f"//tbody[@id='rows']/tr[td[@class='conversation'][.='{conversation}']]"
        found = browser.find_elements(By.XPATH, xpath)
        return found[0] if found else None

    row_for("conv-pay").find_element(By.CSS_SELECTOR, "button.approve").click()
    until(lambda: row_for("conv-pay") is None)
    deny_row = row_for("conv-ops")
    deny_row.find_element(By.CSS_SELECTOR, "button.deny").click()
    until(lambda: "A denial needs a comment" in browser.find_element(By.ID, "status").text)
    deny_row = row_for("conv-ops")
    deny_row.find_element(By.CSS_SELECTOR, "input.comment").send_keys("IBAN-looking payee in an image tag")
    deny_row.find_element(By.CSS_SELECTOR, "button.deny").click()
    until(lambda: row_for("conv-ops") is None)
    until(lambda: browser.find_element(By.ID, "empty").is_displayed())

    approved = calls["send_money"].result().json()
    denied = calls["shell"].result().json()
    assert approved["allow"] is True
    assert denied["allow"] is False and denied["rule"] == "approval.denied"

    def decisions() -> dict[str, Any]:
        return {r["detail"]["decision"]: r for r in service.records() if r["action"] == "tool.approval_decided"}

    decided = until(lambda: decisions() if len(decisions()) == 2 else None)  # audited once the sink flushes
    assert sorted(decided) == ["approved", "denied"]
    assert decided["denied"]["detail"]["comment"] == "IBAN-looking payee in an image tag"
    assert {r["detail"]["approver"] for r in decided.values()} == {"alice"}


def test_a_wrong_token_is_sent_back_to_sign_in(service: Service, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{service.url}/approvals")
    browser.find_element(By.ID, "token").send_keys("not-a-token")
    browser.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    until(lambda: "Sign-in refused" in browser.find_element(By.ID, "signin").text)
    assert browser.find_element(By.ID, "signin").is_displayed()
    until(lambda: any(r["action"] == "auth.rejected" for r in service.records()))  # audited once flushed
