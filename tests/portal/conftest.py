"""Agency personas and data: see ``tests.agencies.fixtures``."""

from tests.agencies.fixtures import (  # noqa: F401
    agencies,
    customs,
    customs_officer,
    food_officer,
    food_safety,
    plant_health,
    plant_officer,
    standards,
    standards_officer,
)
