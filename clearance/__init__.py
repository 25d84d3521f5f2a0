"""Clearance: the pipeline after acceptance (routing, consolidation, the release decision), the sweep."""
