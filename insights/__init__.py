"""Time Release Study, service levels, the scorecard and trade statistics: how the border performs.

Reads every app below it; writes only its own pre-aggregated tables.
"""
