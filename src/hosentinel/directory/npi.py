"""The National Provider Identifier check digit: Luhn over the card-issuer prefix 80840 followed
by the first nine digits of the NPI (CMS, "Requirements for NPI check digit")."""

from __future__ import annotations

PREFIX = "80840"


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit that completes `payload` (digits only)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # the rightmost payload digit is doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_check_digit(first_nine: str) -> int:
    return luhn_check_digit(PREFIX + first_nine)


def valid_npi(value: str) -> bool:
    """Ten digits whose last is the Luhn check digit of the first nine (with the prefix)."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    return npi_check_digit(value[:9]) == int(value[9])


def make_npi(first_nine: int) -> str:
    """An NPI with a valid check digit from a nine-digit number (for synthetic data)."""
    body = f"{first_nine:09d}"
    return f"{body}{npi_check_digit(body)}"
