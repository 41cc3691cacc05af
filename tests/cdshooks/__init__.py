"""Tests of the CDS Hooks service (a package, so that its conftest does not shadow
tests/app/conftest.py, which test modules there import by name)."""
