"""The help desk on the declaration page (``declarations.panels``): "Ask about this declaration"
with the requests already asked about it, and, once released, the one satisfaction question.

``SupportConfig.ready`` registers ``declaration_panel``; ``declarations`` never imports support.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Role, User
from declarations.models import Declaration

from .access import may_answer_requests, may_rate
from .forms import RatingForm
from .models import ServiceRequest
from .selectors import rating_of, requests_about


def declaration_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    """Traders and brokers: the link, their requests about it (one query), and after release the
    rating form or the thanks (one more). The help desk: the requests about it (one query).
    Agency officers: nothing (they have the "Get help" link of the page frame)."""
    user: User = request.user  # type: ignore[assignment]
    role = user.role
    if role in (Role.OFFICER, Role.CASHIER):
        return SafeString("")  # no permission lookup on their pages: they are not the help desk here
    trader = role in (Role.TRADER, Role.BROKER)
    desk = not trader and may_answer_requests(user)
    if not trader and not desk:
        return SafeString("")
    if desk:
        asked = list(
            ServiceRequest.objects.filter(declaration=declaration).order_by("-created_at", "-pk")[:10]
        )
    else:
        asked = list(requests_about(user, declaration)[:10])
    rating = None
    rating_form = None
    offer_rating = may_rate(user, declaration)
    if offer_rating:
        rating = rating_of(declaration)
        if rating is None:
            rating_form = RatingForm(auto_id="id_rating_%s")
    context = {
        "declaration": declaration,
        "asked": asked,
        "desk": desk,
        "offer_rating": offer_rating,
        "rating": rating,
        "rating_form": rating_form,
        "page": request.get_full_path(),
    }
    return render_to_string("support/_declaration_panel.html", context, request=request)
