from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

# The API reference page (ReDoc 2.5.4, from drf-spectacular-sidecar) needs more than the site's
# policy, and this view alone gets it:
# - ReDoc injects <style> elements as it loads: empty ones that styled-components fills through the
#   CSSOM (which CSP does not govern), and one holding perfect-scrollbar's stylesheet. Exactly those
#   two contents are admitted, by their SHA-256, and no other inline style (ReDoc's "nonce" option
#   reaches neither). A new ReDoc changes the second hash: the browser test of this page
#   (tests/browser/test_csp.py) then reports the blocked style.
# - Its search index is built in a Web Worker started from a blob: URL its own script creates.
# ReDoc also shows its maker's logo from cdn.redoc.ly: the policy refuses it (nothing loads from a
# CDN) and the page hides the image when it fails to load.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # an empty <style>
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar's stylesheet
]
api_docs = csp_update({"style-src": REDOC_STYLE_HASHES, "worker-src": ["'self'", "blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("singlewindow.api_urls")),
    path("declarations/", include("declarations.urls")),
    path("agencies/", include("agencies.urls")),
    path("clearance/", include("clearance.urls")),
    path("verify/", include("clearance.verify_urls")),  # a gate checks a release note: public
    path("help/", include("support.urls")),
    path("insights/", include("insights.urls")),
    path("", include("payments.urls")),
    path("", include("portal.urls")),
    path("", include("accounts.urls")),
]

# Under /api/ every error is JSON in the API's one shape (singlewindow.api_errors); elsewhere, pages.
handler400 = "singlewindow.api_errors.bad_request"
handler403 = "singlewindow.api_errors.permission_denied"
handler404 = "singlewindow.api_errors.page_not_found"
handler500 = "singlewindow.api_errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
