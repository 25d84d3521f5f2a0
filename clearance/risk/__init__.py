"""Risk management: the engine (``engine``), the per-process rule cache (``cache``), the assessment
in the routing's transaction (``services``), the medians of declared values (``medians``), the
compliance history fed from reviews and statements (``compliance``), and the supervisors' pages
(rules, thresholds, dry run: ``views``)."""
