"""Duties and payments: assessment, the trader ledger, payments, guarantees and statements."""
