from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy of settings on every response.

    Django's admin sets a few inline style attributes, and the API's self-hosted Swagger
    UI and Redoc pages inject their styles at run time, so only under those prefixes
    (``CSP_INLINE_STYLE_PREFIXES``) are inline styles allowed; scripts stay 'self'
    everywhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy: str = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith(tuple(settings.CSP_INLINE_STYLE_PREFIXES)):
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise: the language comes from the language
    cookie (set by the switch in the top bar), never from the browser's Accept-Language,
    so an office PC with an English browser still gets the Chinese UI."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
