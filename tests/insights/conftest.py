"""Agency personas and data: see ``tests.agencies.fixtures``."""

from tests.agencies.fixtures import (  # noqa: F401
    agencies,
    customs,
    customs_officer,
    food_officer,
    food_safety,
    media_in_tmp,
    plant_health,
    plant_officer,
    plant_officer_2,
    routed,
    standards,
    standards_officer,
)
