"""The organisers' dashboard as a WSGI app (Werkzeug + Jinja2 with autoescape), serving every path under /dashboard.

Signing in: ``/report dashboard`` DMs a one-time link to ``/dashboard/login?token=…``; redeeming it sets a signed,
HTTP-only cookie for 8 hours. Every other URL without a valid session answers 401 with a page that says how to get
a link and shows no data. The session is re-checked on each request (an organiser removed from ORGANISER_IDS loses
access at once). The only script is the 30-second refresh, allowed by its hash in the Content-Security-Policy;
browsers without JavaScript refresh by ``<meta http-equiv=refresh>``. Searching is a POST that keeps the words in
a cookie, so no name ever appears in a URL (or in access logs).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bot import timefmt
from bot.assistant import Assistant
from bot.dashboard.views import NoEvent
from bot.text import clean_input, fold
from handlers.web import charts, pdf

log = logging.getLogger(__name__)

SESSION_COOKIE = "partnerup_dashboard"
SEARCH_COOKIE = "partnerup_dashboard_q"
SESSION_SECONDS = 8 * 3600
PEOPLE_PER_PAGE = 100
REFRESH_SCRIPT = (
    'setInterval(function () { var a = document.activeElement; if (!a || a.name !== "q") { location.reload(); } }, 30000);'
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(REFRESH_SCRIPT.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGES = ("overview", "plan", "people", "print")

NEXT_PAGE = re.compile(r"/dashboard(/(plan(/[A-Za-z0-9_-]{1,100})?|people|print))?")


def landing(next_page: str) -> str:
    """Where a sign-in link lands: one of the dashboard's own pages (never another site), the overview by default."""
    return next_page if NEXT_PAGE.fullmatch(next_page) else "/dashboard"


WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


class DashboardApp:
    """``DashboardApp(assistant, secret=...)`` is a WSGI app; mount it at ``/dashboard``."""

    def __init__(self, assistant: Assistant, *, secret: str | None) -> None:
        """``secret``: DASHBOARD_SECRET; without one, a random secret for this process (sign-ins end on restart)."""
        self.assistant = assistant
        self.signer = URLSafeSerializer(secret or secrets.token_hex(32), salt="partnerup-dashboard-session")
        self.secure = assistant.public_url.startswith("https://")
        self.templates = Environment(
            loader=PackageLoader("handlers.web", "templates"), autoescape=select_autoescape(default=True)
        )
        self.routes = Map(
            [
                Rule("/dashboard", endpoint="overview", methods=["GET"]),
                Rule("/dashboard/", endpoint="overview", methods=["GET"]),
                Rule("/dashboard/plan", endpoint="plan", methods=["GET"]),
                Rule("/dashboard/plan/<block>", endpoint="plan", methods=["GET"]),
                Rule("/dashboard/people", endpoint="people", methods=["GET"]),
                Rule("/dashboard/print", endpoint="print", methods=["GET"]),
                Rule("/dashboard/print/<name>.pdf", endpoint="pdf", methods=["GET"]),
                Rule("/dashboard/search", endpoint="search", methods=["POST"]),
                Rule("/dashboard/logout", endpoint="logout", methods=["POST"]),
            ],
            strict_slashes=False,
        )

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception:
            log.exception("dashboard page failed: %s", request.path)
            response = self.page("message.html", status=500, heading="Something went wrong",
                                 text="Sorry, this page could not be drawn. Please try again in a moment.")  # fmt: skip
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path.rstrip("/") == "/dashboard/login":
            return self.login(request)
        who = self.session(request)
        if who is None:
            return self.unauthorised("You are not signed in, or your session has ended.")
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
        except MethodNotAllowed:
            return self.page("message.html", status=405, heading="Not here", text="That is not something this page does.")
        except (NotFound, HTTPException):
            return self.page("message.html", status=404, heading="Not found", text="There is no such dashboard page.")
        try:
            return getattr(self, f"do_{endpoint}")(request, **args)
        except NoEvent:
            return self.page(
                "message.html", heading="No event yet", text="No event is loaded yet, so there is nothing to show."
            )

    # --- sessions ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.assistant.clock.now()

    def session(self, request: Request) -> str | None:
        """The signed-in organiser's ID, or None (no cookie, forged, older than 8 hours, or no longer an organiser)."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self.signer.loads(raw)
            issued, external_id = float(data["t"]), str(data["x"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        age = self.now().timestamp() - issued
        if not -60 <= age < SESSION_SECONDS:
            return None
        return external_id if self.assistant.is_organiser(external_id) else None

    def login(self, request: Request) -> Response:
        token = request.args.get("token", "")
        signed = self.assistant.dashboard_sign_in(token=token) if request.method == "GET" else None  # HEAD spends nothing
        if signed is None:
            return self.unauthorised(
                "This sign-in link does not work: it was already used, it is older than 15 minutes, or it is not a "
                "link PartnerUp sent."
            )
        response = Response(status=303, headers={"Location": landing(request.args.get("next", ""))})
        value = self.signer.dumps({"x": signed.external_id, "p": signed.participant_id, "t": self.now().timestamp()})
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_SECONDS, path="/dashboard", secure=self.secure,
                            httponly=True, samesite="Lax")  # fmt: skip
        log.info("dashboard sign-in by %s", signed.external_id)
        return response

    def do_logout(self, request: Request) -> Response:
        response = Response(status=303, headers={"Location": "/dashboard"})
        response.delete_cookie(SESSION_COOKIE, path="/dashboard", secure=self.secure, httponly=True, samesite="Lax")
        response.delete_cookie(SEARCH_COOKIE, path="/dashboard", secure=self.secure, httponly=True, samesite="Lax")
        return response

    def unauthorised(self, reason: str) -> Response:
        return self.page("unauthorised.html", status=401, reason=reason, signed_in=False)

    # --- pages ---------------------------------------------------------------------------------

    def page(self, template: str, *, status: int = 200, **context: Any) -> Response:
        context.setdefault("signed_in", True)
        context.setdefault("refresh", context["signed_in"] and status == 200)
        context.setdefault("event_name", "")
        context.setdefault("timezone", "UTC")
        context.setdefault("query", "")
        context.setdefault("back", "overview")
        context.setdefault("updated", timefmt.local(self.now(), context["timezone"]).strftime("%H:%M:%S"))
        html = self.templates.get_template(template).render(refresh_script=REFRESH_SCRIPT, **context)
        return Response(html, status=status, mimetype="text/html")

    def query(self, request: Request) -> str:
        return clean_input(unquote(request.cookies.get(SEARCH_COOKIE, "")), limit=100)

    def do_overview(self, request: Request) -> Response:
        d = self.assistant.dashboard
        numbers = d.numbers()
        lonely_total, lonely = d.people_without_meetings()
        drawn = {
            "per_slot": {b.key: charts.per_slot(numbers.per_slot[b.key]) for b in numbers.blocks},
            "by_type": charts.by_type(numbers),
            "per_hour": charts.per_hour(numbers.per_hour),
        }
        return self.page("overview.html", page="overview", back="overview", n=numbers, charts=drawn, lonely=lonely,
                         lonely_total=lonely_total, event_name=numbers.event_name, timezone=numbers.timezone,
                         query=self.query(request))  # fmt: skip

    def do_plan(self, request: Request, block: str | None = None) -> Response:
        plan = self.assistant.dashboard.plan()
        chosen = plan.block(block) if block else (plan.blocks[0] if plan.blocks else None)
        if block and chosen is None:
            return self.page("message.html", status=404, heading="Not found", text="There is no such partnering block.",
                             event_name=plan.event_name, timezone=plan.timezone)  # fmt: skip
        query = self.query(request)
        folded = fold(query)
        zone = plan.timezone
        when = ""
        if chosen:
            local = timefmt.local(chosen.starts_at, zone)
            when = f"{timefmt.day_label(local.date())} {timefmt.span(chosen.starts_at, chosen.ends_at, zone)}"
        return self.page("plan.html", page="plan", back=f"plan/{chosen.key}" if chosen else "plan", plan=plan, block=chosen,
                         block_when=when, rows=chosen.rows(folded) if chosen else [], folded=folded, query=query,
                         slot_labels=[timefmt.clock(s.starts_at, zone) for s in chosen.slots] if chosen else [],
                         event_name=plan.event_name, timezone=zone)  # fmt: skip

    def do_people(self, request: Request) -> Response:
        plan = self.assistant.dashboard.plan()
        query = self.query(request)
        everyone = plan.itineraries(query=query)
        pages = max(1, math.ceil(len(everyone) / PEOPLE_PER_PAGE))
        number = request.args.get("page", "1")
        number = min(pages, max(1, int(number))) if number.isdigit() and len(number) < 7 else 1
        shown = everyone[(number - 1) * PEOPLE_PER_PAGE : number * PEOPLE_PER_PAGE]
        zone = plan.timezone

        def when(booking) -> str:
            local = timefmt.local(booking.slot.starts_at, zone)
            return f"{timefmt.short_day(local.date())} {timefmt.span(booking.slot.starts_at, booking.slot.ends_at, zone)}"

        return self.page("people.html", page="people", back="people", itineraries=shown, total=len(everyone), pages=pages,
                         page_number=number, when=when, query=query, event_name=plan.event_name, timezone=zone)  # fmt: skip

    def do_print(self, request: Request) -> Response:
        numbers = self.assistant.dashboard.numbers()
        return self.page("print.html", page="print", back="print", blocks=numbers.blocks, event_name=numbers.event_name,
                         timezone=numbers.timezone, query=self.query(request))  # fmt: skip

    def do_pdf(self, request: Request, name: str) -> Response:
        kind, _, block_key = name.partition("-")
        if kind not in ("tables", "people"):
            return self.page("message.html", status=404, heading="Not found", text="There is no such printout.")
        plan = self.assistant.dashboard.plan()
        if block_key and plan.block(block_key) is None:
            return self.page("message.html", status=404, heading="Not found", text="There is no such partnering block.",
                             event_name=plan.event_name, timezone=plan.timezone)  # fmt: skip
        now = self.now()
        draw = pdf.tables_pdf if kind == "tables" else pdf.people_pdf
        body = draw(plan, generated=now, block_key=block_key or None)
        day = timefmt.local(now, plan.timezone).date().isoformat()
        filename = "-".join(part for part in (plan.event_key, kind, block_key, day) if part) + ".pdf"
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})  # fmt: skip

    def do_search(self, request: Request) -> Response:
        """Keep the search words in a cookie and go back to the page it came from (Post/Redirect/Get)."""
        back = request.form.get("back", "overview")
        page, _, block = back.partition("/")
        if page not in PAGES or (block and (page != "plan" or not block.replace("-", "").replace("_", "").isalnum())):
            page, block = "people", ""
        if page in ("overview", "print"):  # the search shows in the plan and the itineraries: go to the people found
            page, block = "people", ""
        target = f"/dashboard/{page}" + (f"/{block}" if block else "")
        response = Response(status=303, headers={"Location": target})
        words = "" if request.form.get("clear") else clean_input(request.form.get("q", ""), limit=100)
        if words:
            response.set_cookie(
                SEARCH_COOKIE, quote(words), path="/dashboard", secure=self.secure, httponly=True, samesite="Lax"
            )
        else:
            response.delete_cookie(SEARCH_COOKIE, path="/dashboard", secure=self.secure, httponly=True, samesite="Lax")
        return response
