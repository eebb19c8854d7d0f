"""The QA web service: HTTP API and server-rendered pages over the results store (issue 7)."""
