"""The returned-pack diagnosis (issue 4): steps from intake to disassembly, and the rules.

``sequence.build_diagnosis`` assembles the ``Procedure``; ``rules.diagnose`` turns a finished
run into conclusions. Steps only see role interfaces and a ``FixtureChanger``, so the same
sequence runs on a real bench (operator moves the pack) and a simulated one (control endpoint).
"""
