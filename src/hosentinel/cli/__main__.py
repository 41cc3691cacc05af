"""`python -m hosentinel.cli`."""

from hosentinel.cli import main

if __name__ == "__main__":
    main()
