"""The locustfile of bench/load.py (run by it; not meant to be started by hand).

Every simulated user takes one account from the JSON file named by ``LOAD_USERS_FILE``
(written by bench/load.py: username, password, role, the role's pages), logs in through
the real login page (GET for the CSRF token, then POST), and browses its role's pages
at random with 1–3 s of thinking between requests. A page that does not answer 200, or
that lands on the login page (a lost session), counts as an error. Requests are named
``role · page`` so that the figures are per role and page.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

with open(os.environ["LOAD_USERS_FILE"], encoding="utf-8") as handle:
    ACCOUNTS: list[dict[str, Any]] = json.load(handle)
_next = iter(ACCOUNTS)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN = "/accounts/login/"
# Every request (name, milliseconds, failed, when it started), and when each user was
# logged in, written at the end to LOAD_TIMES_FILE: the bench computes exact percentiles
# from them (locust's own tables round them) and tells the steady state (every user
# logged in) from the ramp.
TIMES: list[tuple[str, float, bool, float]] = []
LOGGED_IN: list[float] = []


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: Any, start_time: float = 0, **_kw: Any
) -> None:
    TIMES.append((name, response_time, exception is not None, start_time))


@events.quitting.add_listener
def _write(**_kw: Any) -> None:
    with open(os.environ["LOAD_TIMES_FILE"], "w", encoding="utf-8") as out:
        json.dump({"requests": TIMES, "logged_in": LOGGED_IN}, out)


class RoleUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        try:
            self.account = next(_next)
        except StopIteration:  # more users than accounts: never, bench/load.py makes enough
            raise StopUser() from None
        self.role = self.account["role"]
        self.rng = random.Random(self.account["username"])
        page = self.client.get(LOGIN, name="login (GET)")
        found = TOKEN.search(page.text)
        if not found:
            raise StopUser()
        with self.client.post(
            LOGIN,
            data={
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": found.group(1),
            },
            headers={"Referer": self.host + LOGIN},
            name="login (POST)",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or answer.url.rstrip("/").endswith("accounts/login"):
                answer.failure(f"login of {self.account['username']} refused")
                raise StopUser()
            answer.success()
        LOGGED_IN.append(time.time())

    @task
    def browse(self) -> None:
        label, url = self.rng.choice(self.account["pages"])
        if isinstance(url, list):  # a detail page: one of the role's objects
            url = self.rng.choice(url)
        with self.client.get(url, name=f"{self.role} · {label}", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} on {url}")
            elif LOGIN in answer.url:
                answer.failure(f"sent to the login page from {url}")
            else:
                answer.success()
