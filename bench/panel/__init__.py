"""The operator panel: ``packbench station serve``, the bench's run in a browser.

``hub`` fans every event of the run out to the pages watching it (server-sent events), ``view``
turns the terminal view's events into them, ``prompts`` asks the operator's questions on the
page, ``controller`` runs one unit at a time through ``bench.runner.run_unit`` (the code path of
``packbench run``), ``app`` is the web application and ``cli`` the command. docs/operator-panel.md
describes it for technicians.
"""
