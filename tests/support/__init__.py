"""Helpers shared by the test modules, imported one way: `from tests.support.X import ...`.

Fixtures stay in the conftest.py files; what lives here is plain importable code. Helpers that
bench/ also needs live in `hosentinel.testing` instead (bench/ never imports tests/).
"""
