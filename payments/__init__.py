"""Payments: duties, fees and the trader ledger. Built in a later issue."""
