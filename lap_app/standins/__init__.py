"""Stand-ins for the outside world (reference base server, virtual CPS, test PKI, pharmacy, DMP).

Only the demo wiring, the stand-ins' own commands and the tests import this package: the
domain core and the adapters never do.
"""
