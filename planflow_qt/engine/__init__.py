"""Validation, scheduling and execution of flows; run events and the audit log. No Qt here."""
