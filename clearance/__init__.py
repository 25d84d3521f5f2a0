"""Clearance: the pipeline after acceptance (routing, consolidation, release). Built in the next issue."""
