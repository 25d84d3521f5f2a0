"""Oversight: the watchlists every agency contributes to, the register of authorised economic
operators, and the supervisors' risk dashboard (lane mix, hit rates, the random sample)."""
