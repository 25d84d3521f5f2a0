"""The real HMRC messages beside the project, as the WCO tests use them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from declarations.canonical import DeclarationData
from declarations.wco.reader import read_declaration

WCO = Path(settings.SHARED_DATA_DIR) / "wco-dms"
SAMPLES = WCO / "samples"
TT1 = WCO / "hmrc-tt1"

IMPORTS = sorted((SAMPLES / "imports").glob("*.xml"))
EXPORTS = sorted((SAMPLES / "exports").glob("*.xml"))
CONFORMANCE = IMPORTS + EXPORTS
MALFORMED = sorted((SAMPLES / "malformed").glob("*.xml"))
TT1_ACCEPTED = sorted(TT1.glob("*/Accepted/Declaration/*.xml"))
TT1_REJECTED = sorted(TT1.glob("*/Rejected/*/Declaration/*.xml"))
TT4_TEMPLATES = sorted((TT1 / "Trade_Test_4_Sample_Messages").glob("*.xml"))
TT42 = sorted((TT1 / "Trade_Test_4.2_Sample_Messages").glob("*.xml"))
NOTIFICATIONS = sorted((SAMPLES / "notifications").glob("*.xml"))

PLACEHOLDER = b"<INSERTEORIHERE>"


def sample(prefix: str) -> Path:
    """The one sample (imports, exports or TT1) whose file name starts with ``prefix``."""
    matches = [p for p in [*CONFORMANCE, *TT1.rglob("*.xml")] if p.name.startswith(prefix)]
    assert len(matches) == 1, f"{prefix}: {matches}"
    return matches[0]


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def read_clean(path: Path | bytes) -> DeclarationData:
    """Read a message that must map without a single issue."""
    body = path if isinstance(path, bytes) else path.read_bytes()
    result = read_declaration(body)
    assert result.issues == []
    assert result.data is not None
    return result.data
