"""The demo data of the embedded mode: agencies, trader accounts, a user for every role.

The trader accounts carry the EORIs used by the real HMRC samples in ../shared/data/wco-dms, so
every sample can be lodged in the demo (by ``broker``, who represents them all). Idempotent: running
it again changes nothing and resets the demo passwords.

The passwords are published (README), ``admin`` among them: outside the embedded mode
(``settings.SW_EMBEDDED`` off) the seed refuses unless forced, so no deployment gets a known
superuser by accident. Production creates its administrator with ``createsuperuser``.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import account_add_member, account_authorise_representative, user_set_role
from accounts.models import Role, TraderAccount, User
from accounts.two_factor import DEMO_DEVICE_NAME, user_requires_2fa
from agencies.access import agency_add_officer
from agencies.licences import LicenceInput, licence_create
from agencies.models import Agency, Licence, RoutingRule, RuleDirection
from payments.models import Facility, FacilityKind
from payments.refdata.loader import DEMO_TARIFF, tariff_load
from singlewindow.errors import DomainError

from .models import RiskRule, RiskSettings

AGENCIES = [
    ("customs", "Customs and Excise", True, 4),
    ("plant-health", "Plant Health Inspectorate", False, 24),
    ("food-safety", "Food Safety Authority", False, 24),
    ("standards", "Bureau of Standards", False, 48),
    ("veterinary", "Veterinary Border Service", False, 12),
    ("import-licensing", "Import Licensing Office", False, 24),
]

# Agency code, rule name, HS chapter, required DE 2/3 documents (auto-approved when all present).
# Customs has no rule: it reviews alone whatever no other agency claims.
ROUTING_RULES: list[tuple[str, str, str, tuple[str, ...]]] = [
    *[
        ("veterinary", f"Live animals and animal products, chapter {c}", c, ("N853",))
        for c in ("01", "02", "03", "04", "05")
    ],
    *[
        ("plant-health", f"Plants and plant products, chapter {c}", c, ("N851",))
        for c in ("06", "07", "08", "09", "10", "11", "12", "13", "14")
    ],
    ("plant-health", "Wood and articles of wood, chapter 44", "44", ("N851",)),
    *[
        ("food-safety", f"Food, chapter {c}", c, ())
        for c in ("02", "03", "04", "07", "08", "09", "10", "11", *(f"{n}" for n in range(15, 23)))
    ],
    ("standards", "Machinery, chapter 84", "84", ()),
    ("standards", "Electrical equipment, chapter 85", "85", ()),
    ("standards", "Toys, games and sports requisites, chapter 95", "95", ()),
    # The licences HMRC's Trade Test 4.2 cases declare (LICENCES below).
    ("import-licensing", "Ores, slag and ash, chapter 26", "26", ()),
    ("import-licensing", "Albuminoidal substances and glues, chapter 35", "35", ()),
]

# Customs' risk profile of the demo: name, plain-words reason, kind, weight, conditions, confidential.
# "Hair clippers from China" sends the real sample IM001a (item 2: 85102000 of Chinese origin) to
# the red lane. Seeded only when people decide (not with ``auto_decide``: unattended runs and the
# benchmarks expect goods to release without an inspection).
RISK_RULES: list[tuple[str, str, str, int, dict[str, object], bool]] = [
    (
        "Plants from a high-risk origin",
        "plants of chapter 06 from a high-risk origin",
        "goods",
        30,
        {"hs_prefix": "06", "origin_country": "CO"},
        True,
    ),
    (
        "Undervaluation",
        "declared value per unit below 30 % of the median for its HS subheading",
        "undervaluation",
        25,
        {"undervaluation_ratio": Decimal("0.30")},
        True,
    ),
    (
        "Seizure in the last 12 months",
        "importer had a seizure in the last 12 months",
        "history",
        40,
        {"history_event": "seizure", "history_months": 12, "history_min_count": 1},
        True,
    ),
    ("Watchlist", "trader or party on a watchlist", "watchlist", 50, {}, True),
    ("Authorised economic operator", "authorised economic operator", "aeo", -30, {}, False),
    (
        "Hair clippers from China",
        "counterfeit alert: hair clippers of Chinese origin",
        "goods",
        60,
        {"hs_prefix": "851020", "origin_country": "CN"},
        True,
    ),
]
DEMO_RANDOM_SHARE = Decimal("5")

# EORI, name, is_broker. Every declarant, importer and exporter EORI in the real samples.
ACCOUNTS = [
    ("GB553202734852", "Clipper Imports Ltd", False),
    ("XI553202734852", "Clipper Imports Ltd (Northern Ireland)", False),
    ("GB427168118378", "Albion Sports Goods Ltd", False),
    ("XI427168118378", "Albion Sports Goods Ltd (Northern Ireland)", False),
    ("GB150454489082", "Northway Exporters plc", False),
    ("XI150454489082", "Northway Exporters plc (Northern Ireland)", False),
    ("GB603202734852", "Harbour Customs Brokers Ltd", True),
    ("XI603202734852", "Harbour Customs Brokers Ltd (Northern Ireland)", True),
    ("GB896458895015", "Fenland Produce Ltd", False),
    ("XI896458895023", "Lough Foods Ltd", False),
    ("GB025115100004", "Midland Engineering Ltd", False),
    ("GB025115100006", "Severn Chemicals Ltd", False),
    ("GB025115100007", "Pennine Textiles Ltd", False),
    ("GB025115100010", "Thames Machinery Exports Ltd", False),
    ("GB021111236000", "Solent Wine Merchants Ltd", False),
    ("GB201909013000", "Cotswold Furniture Ltd", False),
    ("GB201909014000", "Cotswold Furniture Trading Ltd", False),
    ("GB575456994000", "Kestrel Electronics Ltd", False),
    ("GB417869120000", "Wessex Art Dealers Ltd", False),
    ("GB000700000001234", "Downs Aggregated Imports Ltd", False),
]

# Guarantees and deferment accounts: the importer (GB553202734852) has none, so its declarations wait
# for payment (card or transfer); the exporter's guarantee secures its duties; the wine merchant
# defers and pays by monthly statement.
FACILITIES = [
    ("GB427168118378", FacilityKind.GUARANTEE, "GBGUA427168118378", "20000"),
    ("GB021111236000", FacilityKind.DEFERMENT, "DAN1234567", "50000"),
]

# Licences on file, as HMRC's Trade Test 4.2 licence cases expect them (shared/data/wco-dms/hmrc-tt1/
# Trade_Test_4.2_Sample_Messages): TC021 writes off 10.00 GBP of GBCPI000004-0001, which has room;
# TC020 writes off 100 kg of GBOIL000002-0001, which has 50 kg left (an officer decides); TC041
# declares GBOIL000011-0001, which is not on file (an officer decides). Agency, document code,
# number, holder, commodity codes, quantity and unit, value and currency.
LICENCES = [
    ("import-licensing", "L001", "GBCPI000004-0001", "GB025115100004", ["3502"], None, "", "1000", "GBP"),
    ("import-licensing", "9100", "GBOIL000002-0001", "GB025115100007", ["2612"], "50", "KGM", None, ""),
    ("import-licensing", "9100", "GBOIL000010-0001", "GB025115100006", ["26"], "500", "KGM", None, ""),
]

DEMO_PASSWORD_SUFFIX = "-demo-2026"  # noqa: S105 - demo passwords are published in the README
# The authenticator key of every demo user whose role requires two-step verification (officers,
# supervisors, administrators): published in the README (base32 DEMO_OTP_SECRET), so a person can add
# it to an authenticator app, or ask `manage.py demo_otp USER` for the current code.
DEMO_OTP_KEY = b"sw-demo-2fa-key-2026"
DEMO_OTP_SECRET = b32encode(DEMO_OTP_KEY).decode("ascii")


@dataclass
class DemoUser:
    username: str
    role: Role
    accounts: tuple[str, ...] = ()  # member of
    agency: str = ""
    represents_all: bool = False

    @property
    def password(self) -> str:
        return f"{self.username}{DEMO_PASSWORD_SUFFIX}"


DEMO_USERS = [
    DemoUser("importer", Role.TRADER, accounts=("GB553202734852", "XI553202734852")),
    DemoUser("exporter", Role.TRADER, accounts=("GB427168118378", "XI427168118378")),
    DemoUser("broker", Role.BROKER, accounts=("GB603202734852", "XI603202734852"), represents_all=True),
    DemoUser("customs_officer", Role.OFFICER, agency="customs"),
    DemoUser("plant_officer", Role.OFFICER, agency="plant-health"),
    DemoUser("food_officer", Role.OFFICER, agency="food-safety"),
    DemoUser("standards_officer", Role.OFFICER, agency="standards"),
    DemoUser("vet_officer", Role.OFFICER, agency="veterinary"),
    DemoUser("licensing_officer", Role.OFFICER, agency="import-licensing"),
    DemoUser("supervisor", Role.SUPERVISOR, agency="customs"),
    DemoUser("cashier", Role.CASHIER),
    DemoUser("admin", Role.ADMIN),
]


@transaction.atomic
def seed_demo(*, auto_decide: bool = False, outside_embedded: bool = False) -> list[dict[str, str]]:
    """Create (or refresh) the demo data; returns the demo users as the ``--json`` list.

    ``auto_decide`` sets every agency to decide automatically and gives every trader account a
    deferment account and a guarantee (benchmarks, unattended demos: nothing waits for a person);
    without it the agencies' officers decide (and a second run turns automatic decisions off).
    Outside the embedded mode it raises ``DomainError("demo_outside_embedded")`` unless
    ``outside_embedded`` says the caller means it (a throwaway benchmark database).
    """
    if not settings.SW_EMBEDDED and not outside_embedded:
        raise DomainError(
            "demo_outside_embedded",
            "The demo data publishes its passwords (an administrator among them) and is only created "
            "in the embedded mode (SW_EMBEDDED). Create the administrator with createsuperuser.",
        )
    agencies = {}
    for code, name, is_customs, hours in AGENCIES:
        agencies[code], _ = Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "is_customs": is_customs,
                "service_level_hours": hours,
                "auto_decide": auto_decide,
            },
        )
    for code, rule_name, chapter, documents in ROUTING_RULES:
        RoutingRule.objects.update_or_create(
            agency=agencies[code],
            name=rule_name,
            defaults={
                "hs_prefix": chapter,
                "direction": RuleDirection.ANY,
                "required_documents": list(documents),
                "is_active": True,
            },
        )
    accounts = {}
    for eori, name, is_broker in ACCOUNTS:
        accounts[eori], _ = TraderAccount.objects.update_or_create(
            eori=eori, defaults={"name": name, "is_broker": is_broker, "country": eori[:2], "is_active": True}
        )
    listing: list[dict[str, str]] = []
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username, defaults={"email": f"{demo.username}@demo.test"}
        )
        user.set_password(demo.password)
        user.is_staff = user.is_superuser = demo.role is Role.ADMIN
        user.save()
        user_set_role(user=user, role=demo.role)
        for eori in demo.accounts:
            account_add_member(account=accounts[eori], user=user)
        if demo.represents_all:
            for eori, account in accounts.items():
                if eori not in demo.accounts:
                    account_authorise_representative(account=account, user=user)
        entry = {"username": demo.username, "password": demo.password, "role": demo.role.value}
        if user_requires_2fa(user):
            demo_authenticator_set(user=user)
            entry["otp_secret"] = DEMO_OTP_SECRET
        if demo.agency:
            agency_add_officer(agency=agencies[demo.agency], user=user)
            entry["agency"] = demo.agency
        elif demo.accounts:
            entry["account"] = demo.accounts[0]
        listing.append(entry)
    for agency_code, code, number, holder, hs, quantity, unit, value, currency in LICENCES:
        if not Licence.objects.filter(
            agency=agencies[agency_code], document_code=code, number=number
        ).exists():
            licence_create(
                agency=agencies[agency_code],
                actor=None,
                data=LicenceInput(
                    document_code=code,
                    number=number,
                    holder_eori=holder,
                    valid_from=date(2017, 1, 1),
                    valid_until=date(2030, 12, 31),
                    hs_prefixes=hs,
                    quantity_allowance=Decimal(quantity) if quantity else None,
                    quantity_unit=unit,
                    value_allowance=Decimal(value) if value else None,
                    value_currency=currency,
                ),
            )
    # The demo tariff, exchange rates and agency fees (idempotent: unchanged rows stay as they are).
    tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source=DEMO_TARIFF.name)
    facilities = list(FACILITIES)
    if auto_decide:
        # Unattended (benchmarks, demos nobody clicks through): every trader's duties are deferred,
        # by whichever DE 4/8 method its declarations give, so the goods release without a person.
        facilities += [
            (eori, kind, f"{prefix}{eori}", "100000000")
            for eori, _name, is_broker in ACCOUNTS
            if not is_broker
            for kind, prefix in ((FacilityKind.DEFERMENT, "DANAUTO"), (FacilityKind.GUARANTEE, "GUAAUTO"))
        ]
    for eori, kind, reference, limit in facilities:
        Facility.objects.get_or_create(
            reference=reference,
            defaults={
                "trader_account": accounts[eori],
                "kind": kind,
                "limit": Decimal(limit),
                "currency": "GBP",
                "valid_from": date(2026, 1, 1),
            },
        )
    seed_oversight_demo(accounts=accounts, agencies=agencies)
    _risk_profile_seed(enabled=not auto_decide)
    from .audits.demo import seed_audit_demo

    seed_audit_demo(enabled=not auto_decide)
    for seeder in _DEMO_SEEDERS:
        seeder(accounts=accounts, agencies=agencies)
    return listing


# Apps above clearance add their demo data through this hook (support: service requests), called
# last inside seed_demo's transaction with the demo accounts and agencies; each must be idempotent.
DemoSeeder = Callable[..., None]
_DEMO_SEEDERS: list[DemoSeeder] = []


def register_demo_seeder(seeder: DemoSeeder) -> None:
    if seeder not in _DEMO_SEEDERS:
        _DEMO_SEEDERS.append(seeder)


# Oversight: the exporter is an authorised economic operator (its reviews come first in every
# queue); plant health watches an art dealer whose "art supplies" twice turned out to be plants.
DEMO_AEO = ("GB427168118378", "AEOF", "GBAEOF427168118378", date(2025, 1, 1), date(2028, 12, 31))
DEMO_WATCHLIST = (
    "plant-health",
    "plant_officer",
    "GB417869120000",
    "Live plants declared as art supplies, found at two inspections in 2026.",
)


def seed_oversight_demo(*, accounts: dict[str, TraderAccount], agencies: dict[str, Agency]) -> None:
    """The demo's AEO authorisation and watchlist entry (idempotent: an active entry stays as it is)."""
    from clearance.models import WatchlistEntry

    eori, tier, reference, since, until = DEMO_AEO
    TraderAccount.objects.filter(pk=accounts[eori].pk).update(
        aeo_tier=tier, aeo_reference=reference, aeo_valid_from=since, aeo_valid_until=until
    )
    code, username, watched, reason = DEMO_WATCHLIST
    if not WatchlistEntry.objects.filter(
        agency=agencies[code], eori=watched, removed_at__isnull=True
    ).exists():
        WatchlistEntry.objects.create(
            eori=watched,
            name=accounts[watched].name,
            trader_account=accounts[watched],
            agency=agencies[code],
            reason=reason,
            added_by=User.objects.get(username=username),
        )


def _risk_profile_seed(*, enabled: bool) -> None:
    """The demo's risk rules and a 5 % random share; with ``enabled`` off, rules off and share 0."""
    for name, reason, kind, weight, conditions, confidential in RISK_RULES:
        RiskRule.objects.update_or_create(
            name=name,
            defaults={
                "reason": reason,
                "kind": kind,
                "weight": weight,
                "confidential": confidential,
                "valid_from": date(2026, 1, 1),
                "is_active": enabled,
                **conditions,
            },
        )
    row = RiskSettings.objects.order_by("pk").first() or RiskSettings()
    row.random_share = DEMO_RANDOM_SHARE if enabled else Decimal(0)
    row.save()


def demo_authenticator_set(*, user: User) -> TOTPDevice:
    """Give a demo user the authenticator with the published demo key (confirmed, not throttled)."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={
            "key": DEMO_OTP_KEY.hex(),
            "confirmed": True,
            "throttling_failure_count": 0,
            "throttling_failure_timestamp": None,
        },
    )
    return device
