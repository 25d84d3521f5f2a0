"""Controls: customs' documentary check (yellow lane) and physical inspection (red lane), an
agency's "inspection required", one joint inspection per declaration, findings from the quay, and
the rule consolidation reads (``rules.control_state``). See docs/architecture.md, "Controls"."""
