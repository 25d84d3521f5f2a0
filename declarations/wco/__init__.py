"""The WCO Data Model 3.6 goods declaration, as customised by the UK CDS "DMS" schemas.

``parser`` is the one hardened entry point for untrusted XML, ``schema`` validates against the
real DMS schemas, ``pointers`` names elements and canonical fields by WCO class code,
``reader`` maps a message into ``DeclarationData`` and ``writer`` produces one from it.
"""

from __future__ import annotations
