"""The named users and the page login (kept with the benchmarks, which run without the tests)."""

from benchmarks.service_accounts import LOGIN_CSRF, USERS, login, make_users

__all__ = ["LOGIN_CSRF", "USERS", "login", "make_users"]
