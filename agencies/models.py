"""Government agencies that have a say over goods. Routing and review queues come with clearance."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

PERM_OFFICER = "officer_of_agency"


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_customs = models.BooleanField(
        _("customs administration"), default=False, help_text=_("Customs issues the single release decision.")
    )
    service_level_hours = models.PositiveIntegerField(_("service level (hours)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        permissions = [(PERM_OFFICER, "Works the review queue of this agency")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_customs"], condition=models.Q(is_customs=True), name="one_customs"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AgencyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class AgencyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)
