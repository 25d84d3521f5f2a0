"""The demo seed gives one AEO trader account and one watchlist entry, once however often it runs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import TraderAccount
from clearance.demo import seed_demo
from clearance.models import WatchlistEntry

pytestmark = pytest.mark.django_db


def test_demo_seeds_an_aeo_and_a_watchlist_entry_once():
    seed_demo()
    seed_demo()
    aeo = TraderAccount.objects.get(eori="GB427168118378")
    assert aeo.aeo_tier == "AEOF" and aeo.aeo_valid_on(timezone.localdate())
    entry = WatchlistEntry.objects.get()
    assert (entry.agency.code, entry.added_by.username, entry.eori) == (
        "plant-health",
        "plant_officer",
        "GB417869120000",
    )
    assert entry.trader_account is not None and entry.reason
