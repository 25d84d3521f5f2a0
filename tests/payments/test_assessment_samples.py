"""Every real HMRC import sample, lodged on the demo data and routed, is assessed without an error.

The demo tariff covers the samples' commodity codes, so most items get a real duty; the count is
pinned so that a change to the engine or the tariff that drops duties is seen.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from clearance.services import declaration_route
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge_xml
from payments.assessment import assess, declared_differences, reviewing_agencies
from payments.models.assessment import LineCategory

from ..conftest import SAMPLES, TT1

IMPORTS = sorted((SAMPLES / "imports").glob("*.xml"))
TT1_IMPORTS = sorted((TT1 / "Imports" / "Accepted" / "Declaration").glob("*.xml"))
TT1_PLACEHOLDER = b"INSERTEORI"
TESTER_EORI = b"GB553202734852"

pytestmark = pytest.mark.django_db


def lodge_and_assess(path: Path, broker: User):
    body = path.read_bytes().replace(TT1_PLACEHOLDER, TESTER_EORI)
    declaration = declaration_lodge_xml(user=broker, body=body, channel=Channel.API_XML).declaration
    declaration_route(declaration_id=declaration.pk)
    declaration = Declaration.objects.get(pk=declaration.pk)
    return assess(declaration, agencies=reviewing_agencies(declaration)).assessment


def test_every_real_import_sample_is_assessed_and_most_items_pay_duty(capsys):
    call_command("seed_demo")
    broker = User.objects.get(username="broker")
    items = with_duty = incomplete = 0
    for path in IMPORTS + TT1_IMPORTS:
        assessment = lodge_and_assess(path, broker)
        lines = list(assessment.lines.all())
        assert assessment.total == sum(line.amount for line in lines if line.is_charged), path.name
        for line in lines:
            assert line.explanation, (path.name, line)
        duties = [line for line in lines if line.category == LineCategory.DUTY]
        items += len({line.item_sequence for line in duties})
        with_duty += len({line.item_sequence for line in duties if line.amount > 0})
        incomplete += sum(1 for line in lines if line.incomplete)
        declared_differences(assessment, lines)  # computes without error
    with capsys.disabled():
        print(f"\nreal import samples {len(IMPORTS + TT1_IMPORTS)}: {items} items, {with_duty} with duty")
    # 36 goods items with import lines (the three CO declarations, IM059a, IM072a and IM181a, are
    # read as goods leaving: no import duty); 29 pay duty. The other 7: three items of declarations
    # without a commodity code (IM005a, IM011a, IM061a), two works of art at 0 % (IM079a, IM124a,
    # price not in DE 4/14), natural graphite at 0 % (IM055a) and Chilean courgettes at the
    # preferential 0 % (IM030a). Incomplete lines: those five items' values and VAT, and the wine's
    # excise (IM116a declares litres, not litres of alcohol).
    assert (len(IMPORTS + TT1_IMPORTS), items, with_duty) == (30, 36, 29)
    assert incomplete == 14


def test_a_sample_with_a_specific_duty_and_a_fee_is_explained_line_by_line():
    call_command("seed_demo")
    broker = User.objects.get(username="broker")
    # IM175a: frozen fowls from France, 100 kg net, no preference claimed (DE 4/17 100).
    (path,) = [p for p in IMPORTS if p.name.startswith("TT_IM175a")]
    assessment = lodge_and_assess(path, broker)
    duty = assessment.lines.get(category=LineCategory.DUTY, item_sequence=1)
    assert duty.amount == Decimal("27.20")
    assert "27.2 GBP per 100 kg net mass on 1 DTN" in duty.explanation
    assert assessment.lines.filter(category=LineCategory.FEE).exists()


def test_the_chilean_courgettes_of_im030a_get_the_preference_their_eur1_proves():
    call_command("seed_demo")
    broker = User.objects.get(username="broker")
    (path,) = [p for p in IMPORTS if p.name.startswith("TT_IM030a")]
    assessment = lodge_and_assess(path, broker)
    duty = assessment.lines.get(category=LineCategory.DUTY, item_sequence=1)
    assert duty.amount == Decimal("0.00")
    assert "preferential rate: preference 300 claimed for origin CL with proof U096" in duty.explanation
