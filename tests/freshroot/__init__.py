"""A newcomer's first ten minutes, checked on a machine that has nothing but python3:
`sudo python3 -m tests.freshroot` (README.md, Development)."""
