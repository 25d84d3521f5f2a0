"""Test data. Personas in conftest build on these."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from accounts.models import TraderAccount, User
from agencies.models import Agency

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            group, _ = Group.objects.get_or_create(name=extracted)
            self.groups.add(group)
        if create:
            self.save()


class TraderAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TraderAccount
        django_get_or_create = ("eori",)

    eori = factory.Sequence(lambda n: f"GB{100000000000 + n}")
    name = factory.Sequence(lambda n: f"Trader {n} Ltd")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
