"""Post-clearance audit: selection of released declarations (criteria and a random share), case
work (findings, an outcome posted to the trader's account once), the trader's panel."""
