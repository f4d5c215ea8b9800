"""The editors' review form: server-rendered pages under ``/review``.

Sign in with an editor key (-> server-side session + signed cookie; failed sign-ins are
throttled per address and per key prefix), the brand's queue with filters, one
draft with its findings highlighted, live re-check while typing (htmx, debounced), save as a
new version, diff between versions, approve / reject / approve-with-override, regenerate.
Every POST checks the session's CSRF token. Every read and write is scoped to the brand of
the signed-in key (``api.review_desk``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import DraftingDep, FlywheelDep, LimiterDep, SessionDep, SettingsDep
from api.forwarded import client_ip
from api.outcomes_view import outcomes_context
from api.review_desk import (
    PAGE_SIZE,
    REVIEW_ROLES,
    DraftView,
    ReviewDesk,
    Version,
    active_key,
    sign_in,
)
from api.web_auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    WebSession,
    clear_session,
    cookie_secure,
    csrf_ok,
    end_session,
    login_csrf,
    read_session,
    same_token,
    start_session,
    write_login_csrf,
    write_session,
)
from api.web_highlight import Segment, segments, worst
from api.web_i18n import LANG_COOKIE, MESSAGES, request_lang, t
from core.days import parse_day
from core.errors import ConflictError, NotFoundError, RateLimitedError, ZhenxinError
from evals.types import CheckReport, Finding, Verdict
from generator.drafts import ContentKind

API_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = API_DIR / "static"
templates = Jinja2Templates(directory=str(API_DIR / "templates"))

router = APIRouter(prefix="/review", include_in_schema=False)
STATUSES = ("pending_review", "approved", "rejected")


# --- who is asking ---------------------------------------------------------------------------


class _NeedSignIn(Exception):
    pass


class _CsrfRefused(Exception):
    pass


@dataclass
class Editor:
    web: WebSession
    desk: ReviewDesk


def _editor(
    request: Request,
    settings: SettingsDep,
    db: SessionDep,
    service: DraftingDep,
    flywheel: FlywheelDep,
) -> Editor:
    """The signed-in editor, re-validated on every request: the server-side session must be
    live (not logged out, expired or revoked with its key)."""
    web = read_session(request, settings, db)
    key = active_key(db, web.key_id) if web else None
    if web is None or key is None or key.role not in REVIEW_ROLES or key.brand != web.brand:
        raise _NeedSignIn()
    return Editor(web, ReviewDesk(db, key, service=service, flywheel=flywheel))


EditorDep = Annotated[Editor, Depends(_editor)]


async def _posting_editor(request: Request, editor: EditorDep) -> Editor:
    """An editor whose POST carries the session's CSRF token (form field or htmx header)."""
    form = await request.form()
    submitted = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not csrf_ok(editor.web, submitted if isinstance(submitted, str) else None):
        raise _CsrfRefused()
    return editor


PostingDep = Annotated[Editor, Depends(_posting_editor)]


def install_review(app: Any) -> None:
    """Add the review form to ``app``: its routes, and its auth failures turned into a
    redirect to sign-in (``HX-Redirect`` for htmx) and a 403 page for a missing CSRF token."""
    app.include_router(router)

    async def need_sign_in(request: Request, exc: Exception) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/review/login"})
        return RedirectResponse("/review/login", status_code=303)

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return HTMLResponse(t("csrf_failed", request_lang(request)), status_code=403)

    app.add_exception_handler(_NeedSignIn, need_sign_in)
    app.add_exception_handler(_CsrfRefused, csrf_refused)


# --- rendering ------------------------------------------------------------------------------


@dataclass
class Flash:
    kind: str  # ok | warn | error
    text: str


_FLASHES = {
    "saved": "ok",
    "approved": "ok",
    "rejected": "ok",
    "regenerated": "ok",
    "signed_out": "ok",
    "unchanged": "warn",
    "batch_approved": "ok",
}
_FLASH_NUMBER = re.compile(r"[0-9]{1,6}")  # a version number


def _render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    web: WebSession | None = None,
    status_code: int = 200,
    flash: Flash | None = None,
) -> HTMLResponse:
    lang = request_lang(request)
    # The language switch keeps the page's filters, not a one-shot flash (``done``/``n``).
    query = {k: v for k, v in request.query_params.items() if k not in ("done", "n")}
    query["lang"] = "zh" if lang == "en" else "en"
    base = {
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "label": lambda prefix, value: _label(prefix, value, lang),
        "session": web,
        "flash": flash or _flash_from_query(request, lang),
        "other_lang_query": urllib.parse.urlencode(query),
        "static_url": lambda path: f"/review/static/{path}",
        "url": lambda path: path,
    }
    response = templates.TemplateResponse(request, name, base | context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def _label(prefix: str, value: object, lang: str) -> str:
    """A translated label for an enum-like value (channel, trigger...), or the value itself."""
    try:
        return t(f"{prefix}_{value}", lang)
    except KeyError:
        return str(value)


def _flash_from_query(request: Request, lang: str) -> Flash | None:
    """The flash a redirect asked for: only known codes, and ``n`` only as a small number
    (a crafted link must not put its own words on our page)."""
    key = request.query_params.get("done")
    if key not in _FLASHES:
        return None
    n = request.query_params.get("n", "")
    if "{n}" in " ".join(MESSAGES[key]) and not _FLASH_NUMBER.fullmatch(n):
        return None
    return Flash(_FLASHES[key], t(key, lang, n=n))


def _stage_name(view: DraftView, names: dict[str, str]) -> str:
    plan = view.draft.plan
    return names.get(plan.stage) or plan.stage_name or plan.stage


def _go(draft_id: str, done: str, **extra: object) -> RedirectResponse:
    query = urllib.parse.urlencode({"done": done, **extra})
    return RedirectResponse(f"/review/drafts/{draft_id}?{query}", status_code=303)


# --- checks and diffs ---------------------------------------------------------------------------


@dataclass
class CheckView:
    text: str
    verdict: str
    score: float
    findings: list[Finding]
    segments: list[Segment]

    @classmethod
    def of(cls, text: str, verdict: str, score: float, findings: list[Finding]) -> CheckView:
        ordered = sorted(findings, key=lambda f: (f.start, f.end))
        return cls(text, verdict, score, ordered, segments(text, ordered))

    @classmethod
    def from_report(cls, text: str, report: CheckReport) -> CheckView:
        return cls.of(text, str(report.verdict), report.score, report.findings)

    @classmethod
    def from_version(cls, version: Version) -> CheckView:
        """The check result saved with this exact version (what the API reports too)."""
        return cls.of(version.text, version.verdict, version.score, version.findings)


@dataclass
class DiffView:
    a: int
    b: int
    ops: list[tuple[str, str]]

    @property
    def same(self) -> bool:
        return all(op == "eq" for op, _ in self.ops)


def char_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Character-level diff (Chinese has no spaces between words): eq / del / ins runs."""
    ops: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("eq", old[i1:i2]))
            continue
        if i2 > i1:
            ops.append(("del", old[i1:i2]))
        if j2 > j1:
            ops.append(("ins", new[j1:j2]))
    return ops


# --- sign in ----------------------------------------------------------------------------------


@router.get("/static/{path:path}")
def static(path: str) -> Response:
    target = (STATIC_DIR / path).resolve()
    if not target.is_file() or STATIC_DIR not in target.parents:
        return Response(status_code=404)
    return FileResponse(target, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep) -> Response:
    token = login_csrf(request)
    response = _render(request, "review/login.html", {"login_csrf": token})
    write_login_csrf(response, token, secure=cookie_secure(request, settings))
    return response


def _login_again(
    request: Request, token: str, flash: Flash, status_code: int, **headers: str
) -> Response:
    response = _render(
        request, "review/login.html", {"login_csrf": token}, status_code=status_code, flash=flash
    )
    response.headers.update(headers)
    return response


def _key_prefix(raw_key: str) -> str:
    """The prefix a submitted key claims (``zx_<prefix>_<secret>``), for the per-key limit."""
    parts = raw_key.split("_")
    return parts[1][:32] if len(parts) == 3 and parts[0] == "zx" else ""


@router.post("/login")
def login(
    request: Request,
    settings: SettingsDep,
    db: SessionDep,
    limiter: LimiterDep,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    lang = request_lang(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not same_token(cookie, csrf_token):
        return HTMLResponse(t("csrf_failed", lang), status_code=403)
    raw_key = api_key.strip()
    prefix = _key_prefix(raw_key)
    who = (f"ip:{client_ip(request, settings)}", f"key:{prefix}" if prefix else "")
    try:
        limiter.check("sign_in", *who)
    except RateLimitedError as exc:
        seconds = exc.retry_after_seconds
        flash = Flash("error", t("too_many_sign_ins", lang, n=seconds))
        return _login_again(request, cookie, flash, 429, **{"Retry-After": str(seconds)})
    key = sign_in(db, raw_key) if raw_key else None
    if key is None or key.role not in REVIEW_ROLES:
        if key is None:
            limiter.fail("sign_in", *who)
        problem = "bad_key" if key is None else "role_not_allowed"
        return _login_again(request, cookie, Flash("error", t(problem, lang)), 401)
    web = start_session(db, key)
    db.commit()
    response = RedirectResponse("/review", status_code=303)
    write_session(response, settings, web, secure=cookie_secure(request, settings))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/review")
    return response


@router.post("/logout")
def logout(editor: PostingDep, db: SessionDep) -> Response:
    end_session(db, editor.web)
    db.commit()
    response = RedirectResponse("/review/login?done=signed_out", status_code=303)
    clear_session(response)
    return response


# --- queue ------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    editor: EditorDep,
    kind: str = "",
    stage: str = "",
    verdict: str = "",
    status: str = "pending_review",
    batch: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The queue, filtered and paged in the database (50 a page)."""
    lang = request_lang(request)
    stage_names = editor.desk.stage_names(lang)
    views, total = editor.desk.drafts(
        page=page, kind=kind, stage=stage, verdict=verdict, status=status, batch=batch
    )
    names = editor.desk.customer_names({v.draft.customer for v in views if v.draft.customer})
    rows = []
    for view in views:
        current = view.current
        rows.append(
            {
                "id": view.id,
                "kind": str(view.draft.kind),
                "customer": view.draft.customer,
                "customer_name": names.get(view.draft.customer or ""),
                "channel": view.draft.channel,
                "stage_name": _stage_name(view, stage_names),
                "verdict": current.verdict,
                "worst": worst(current.findings),
                "status": view.status,
                "version": current.number,
                "updated": view.updated_at.strftime("%Y-%m-%d %H:%M") if view.updated_at else "",
            }
        )
    stages = [(s, stage_names.get(s, s)) for s in editor.desk.stages_in_use()]
    filters = [
        ("kind", [(k.value, t(f"kind_{k.value}", lang)) for k in ContentKind]),
        ("stage", stages),
        ("verdict", [(v.value, t(f"verdict_{v.value}", lang)) for v in Verdict]),
        ("status", [(s, t(f"status_{s}", lang)) for s in STATUSES]),
    ]
    chosen = {"kind": kind, "stage": stage, "verdict": verdict, "status": status, "batch": batch}
    pages = max(1, -(-total // PAGE_SIZE))
    link = {k: v for k, v in chosen.items() if v}
    return _render(
        request,
        "review/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "chosen": chosen,
            "total": total,
            "page": page,
            "pages": pages,
            "prev_url": _queue_url(link, page - 1) if page > 1 else None,
            "next_url": _queue_url(link, page + 1) if page < pages else None,
        },
        web=editor.web,
    )


def _queue_url(filters: dict[str, str], page: int) -> str:
    return "/review?" + urllib.parse.urlencode({**filters, "page": page})


@router.post("/batches/{batch_id}/approve", response_class=HTMLResponse)
def approve_batch(request: Request, batch_id: str, editor: PostingDep) -> Response:
    """Approve every draft of a batch that waits for review and passes every check, each as
    its own decision; the others stay in the queue for a person to read."""
    batch = batch_id[:32]
    approved, _left = editor.desk.approve_passing(batch)
    query = urllib.parse.urlencode({"batch": batch, "done": "batch_approved", "n": len(approved)})
    return RedirectResponse(f"/review?{query}", status_code=303)


# --- outcomes ---------------------------------------------------------------------------------


OUTCOMES_DAYS = 365


def _date(value: str) -> dt.date | None:
    """A day typed in the form, or None (then the form says the dates are not valid)."""
    try:
        return parse_day(value) if value.strip() else None
    except ZhenxinError:
        return None


@router.get("/outcomes", response_class=HTMLResponse)
def outcomes(
    request: Request,
    editor: EditorDep,
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The outcomes report of the key's brand (default the last 365 days): 30-day repurchase
    of the contacted beside the holdout, reply and repurchase per trigger, and the groups
    with their sample sizes — charts drawn on the server as SVG."""
    lang = request_lang(request)
    today = dt.date.today()
    until, since = _date(to), _date(from_)
    flash = None
    if (to and until is None) or (from_ and since is None) or (since and until and since > until):
        flash = Flash("warn", t("bad_dates", lang, n=OUTCOMES_DAYS))
        until = since = None
    until = until or today
    since = since or until - dt.timedelta(days=OUTCOMES_DAYS)
    report = editor.desk.outcomes(since=since, until=until)
    context = outcomes_context(
        report,
        lambda key, **kw: t(key, lang, **kw),
        lambda value: _label("trigger", value, lang) if value != "-" else "–",
    )
    stage_names = editor.desk.stage_names(lang)
    for row in context["rows"]:
        row["stage_name"] = stage_names.get(row["stage"], row["stage"] or "–")
    return _render(
        request,
        "review/outcomes.html",
        {**context, "since": since.isoformat(), "until": until.isoformat()},
        web=editor.web,
        flash=flash,
    )


# --- one draft --------------------------------------------------------------------------------


def _draft_page(
    request: Request,
    editor: Editor,
    view: DraftView,
    *,
    text: str | None = None,
    flash: Flash | None = None,
    status_code: int = 200,
    diff_from: int | None = None,
) -> HTMLResponse:
    """The draft page; ``text`` is an edit not saved yet (kept after a 409 or an error)."""
    lang = request_lang(request)
    current = view.current
    check = CheckView.from_version(current)
    live = None if text is None else CheckView.from_report(text, editor.desk.check(view, text))
    diff = None
    if len(view.versions) > 1:
        a = diff_from if diff_from and view.version(diff_from) else current.number - 1
        old = view.version(a)
        if old is not None and a != current.number:
            diff = DiffView(a, current.number, char_diff(old.text, current.text))
    return _render(
        request,
        "review/draft.html",
        {
            "record": view,
            "draft": view.draft,
            "plan": view.draft.plan,
            "current": current,
            "stage_name": _stage_name(view, editor.desk.stage_names(lang)),
            "check": check,
            "live": live,
            "edit_text": current.text if text is None else text,
            "diff": diff,
            "blocked": current.verdict == Verdict.BLOCK,
            "passages": editor.desk.passages(view),
            "replies": editor.desk.replies(view),
            "customer": editor.desk.customer(view),
            "decided": view.status != "pending_review",
            "editable": view.status != "approved",
            "max_chars": editor.desk.settings.max_text_chars,
        },
        web=editor.web,
        flash=flash,
        status_code=status_code,
    )


def _not_found(request: Request, editor: Editor) -> HTMLResponse:
    message = t("not_found", request_lang(request))
    return _render(
        request, "review/error.html", {"message": message}, web=editor.web, status_code=404
    )


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, draft_id: str, editor: EditorDep, diff_from: int | None = None
) -> Response:
    try:
        view = editor.desk.get(draft_id)
    except NotFoundError:
        return _job_page(request, editor, draft_id)
    return _draft_page(request, editor, view, diff_from=diff_from)


def _job_page(request: Request, editor: Editor, draft_id: str) -> HTMLResponse:
    """A draft whose job has not finished: a page that refreshes itself while it runs, or
    says why it failed."""
    try:
        job = editor.desk.job(draft_id)
    except NotFoundError:
        return _not_found(request, editor)
    if job.request.status not in ("generating", "failed"):
        return _not_found(request, editor)
    error = (job.request.error or {}).get("message", "") if job.request.error else ""
    return _render(
        request,
        "review/generating.html",
        {"draft_id": draft_id, "status": job.request.status, "error": error},
        web=editor.web,
        status_code=200,
    )


@router.post("/drafts/{draft_id}/check", response_class=HTMLResponse)
def live_check(
    request: Request,
    draft_id: str,
    editor: PostingDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        view = editor.desk.get(draft_id)
    except NotFoundError:
        return _not_found(request, editor)
    text = text.replace("\r\n", "\n")[: settings.max_text_chars]
    check = CheckView.from_report(text, editor.desk.check(view, text))
    return _render(request, "review/_check.html", {"check": check}, web=editor.web)


@router.post("/drafts/{draft_id}/save", response_class=HTMLResponse)
def save(
    request: Request,
    draft_id: str,
    editor: PostingDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    base_version: Annotated[int, Form()] = 0,
) -> Response:
    lang = request_lang(request)
    try:
        view = editor.desk.get(draft_id)
    except NotFoundError:
        return _not_found(request, editor)
    text = text.replace("\r\n", "\n")
    problem = None
    if not text.strip():
        problem = "text_required"
    elif len(text) > settings.max_text_chars:
        problem = "text_too_long"
    elif view.status == "approved":
        problem = "already_decided"
    if problem:
        flash = Flash("error", t(problem, lang))
        return _draft_page(request, editor, view, text=text, flash=flash, status_code=422)
    if base_version == view.current.number and text == view.current.text:
        return _go(view.id, "unchanged")
    try:
        number = editor.desk.save(draft_id, text, base_version)
    except ConflictError:
        editor.desk.db.rollback()
        view = editor.desk.get(draft_id)
        flash = Flash("warn", t("stale_version", lang, n=view.current.number))
        return _draft_page(request, editor, view, text=text, flash=flash, status_code=409)
    return _go(view.id, "saved", n=number)


@router.post("/drafts/{draft_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    draft_id: str,
    editor: PostingDep,
    version: Annotated[int, Form()] = 0,
    override_reason: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, editor, draft_id, True, override_reason, version)


@router.post("/drafts/{draft_id}/reject", response_class=HTMLResponse)
def reject(
    request: Request,
    draft_id: str,
    editor: PostingDep,
    version: Annotated[int, Form()] = 0,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, editor, draft_id, False, reason, version)


def _decide(
    request: Request, editor: Editor, draft_id: str, approve: bool, reason: str, version: int
) -> Response:
    lang = request_lang(request)
    try:
        view = editor.desk.get(draft_id)
    except NotFoundError:
        return _not_found(request, editor)
    reason = reason.strip()
    problem, status_code = None, 422
    if view.status != "pending_review":
        problem, status_code = "already_decided", 409
    elif not approve and not reason:
        problem = "reason_required"
    elif approve and view.current.verdict == Verdict.BLOCK and not reason:
        problem = "override_required"
    if problem:
        flash = Flash("error", t(problem, lang))
        return _draft_page(request, editor, view, flash=flash, status_code=status_code)
    try:
        editor.desk.decide(
            draft_id,
            approve=approve,
            reason="" if approve else reason,
            override_reason=reason if approve else "",
            version=version or view.current.number,
        )
    except ConflictError:
        editor.desk.db.rollback()
        view = editor.desk.get(draft_id)
        flash = Flash("warn", t("stale_version", lang, n=view.current.number))
        return _draft_page(request, editor, view, flash=flash, status_code=409)
    return _go(view.id, "approved" if approve else "rejected")


@router.post("/drafts/{draft_id}/regenerate", response_class=HTMLResponse)
def regenerate(request: Request, draft_id: str, editor: PostingDep) -> Response:
    """Ask for a new draft of the same request; the editor lands on its page, which shows
    progress until the new draft is there (the model runs on the drafting workers)."""
    lang = request_lang(request)
    try:
        view = editor.desk.get(draft_id)
    except NotFoundError:
        return _not_found(request, editor)
    try:
        new_id = editor.desk.regenerate(view)
    except ZhenxinError as exc:
        editor.desk.db.rollback()
        flash = Flash("error", t("regenerate_failed", lang, error=exc.message))
        return _draft_page(request, editor, view, flash=flash, status_code=exc.http_status)
    return _go(new_id, "regenerated")
