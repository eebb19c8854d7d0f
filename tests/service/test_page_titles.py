"""What a browser tab and a bookmark show: the page title is the complaint number only, never a
piece of another section's markup (the replies section was once included into the title)."""

from __future__ import annotations

import re

from documents import complaint_payload
from service_support import Service
from test_manual_pages import _login


def test_complaint_page_title_is_the_number_in_both_languages(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    _login(service, "zhao.min")
    for lang, app in (("en", "packbench QA"), ("zh_CN", "packbench")):
        page = c.get(f"/complaints/{number}?lang={lang}")
        assert page.status_code == 200
        title = re.search(r"<title>(.*?)</title>", page.text, re.S)
        assert title is not None
        assert "<" not in title.group(1) and "&lt;" not in title.group(1)
        assert title.group(1).startswith(f"{number} · {app}")
        assert page.text.count('id="replies"') == 1
