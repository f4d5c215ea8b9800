"""The review form's words, Chinese first, English second.

One dictionary, ``MESSAGES``: key -> (zh, en). Templates call ``t("key")``; a missing key is
an error in tests (``KeyError``), never a silent blank. The language comes from ``?lang=``
(then kept in a cookie), else the cookie, else Chinese.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from generator.kinds import KINDS

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
LANG_COOKIE = "zx_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # layout
    "app_name": ("真心 · 审稿台", "zhenxin · Review desk"),
    "app_tagline": (
        "每一条消息，发出前都由人读过",
        "Every message is read by a person before it is sent",
    ),
    "switch_lang": ("English", "中文"),
    "signed_in_as": ("当前编辑", "Signed in as"),
    "brand": ("品牌", "Brand"),
    "sign_out": ("退出", "Sign out"),
    "queue": ("待审队列", "Review queue"),
    # sign in
    "sign_in": ("登录", "Sign in"),
    "sign_in_title": ("编辑登录", "Editor sign-in"),
    "sign_in_help": (
        "请输入管理员发给你的编辑密钥（API key）。登录后只会看到你所在品牌的草稿。",
        "Enter the editor key (API key) from your admin. You will only see your brand's drafts.",
    ),
    "api_key": ("编辑密钥", "Editor key"),
    "bad_key": (
        "密钥无效或已停用，请联系管理员。",
        "This key is invalid or disabled; ask your admin.",
    ),
    "role_not_allowed": (
        "这个密钥不是编辑或管理员密钥，不能审稿。",
        "This key is not an editor or admin key; it cannot review drafts.",
    ),
    "csrf_failed": (
        "表单已过期或来源不明，请刷新页面后重试。",
        "The form expired or did not come from this site; reload the page and try again.",
    ),
    "signed_out": ("已退出登录。", "You are signed out."),
    "too_many_sign_ins": (
        "登录尝试次数太多，请 {n} 秒后再试。如果忘了密钥，请联系管理员。",
        "Too many attempts to sign in; try again in {n} seconds. Lost your key? Ask your admin.",
    ),
    # queue
    "queue_title": ("待审草稿", "Drafts waiting for review"),
    "queue_empty": ("没有符合条件的草稿。", "No drafts match."),
    "filter": ("筛选", "Filter"),
    "all": ("全部", "All"),
    "status": ("状态", "Status"),
    "kind": ("类型", "Kind"),
    "customer": ("客户", "Customer"),
    "stage": ("阶段", "Stage"),
    "verdict": ("检查结论", "Verdict"),
    "worst_finding": ("最需要注意", "Worst finding"),
    "updated": ("更新于", "Updated"),
    "open": ("打开", "Open"),
    "none": ("无", "none"),
    "drafts_count": ("条草稿", "drafts"),
    # kinds
    # verdicts
    "verdict_pass": ("通过", "Pass"),
    "verdict_review": ("需人工看", "Review"),
    "verdict_block": ("拦截", "Block"),
    # statuses
    "status_pending_review": ("待审", "Waiting"),
    "status_approved": ("已通过", "Approved"),
    "status_rejected": ("已退回", "Rejected"),
    # channels and triggers
    "channel_wechat": ("微信", "WeChat"),
    "channel_sms": ("短信", "SMS"),
    "channel_email": ("邮件", "Email"),
    "channel_community": ("社群", "Community"),
    "trigger_day3": ("使用第 3 天", "Day 3 of use"),
    "trigger_half_used": ("用到一半", "Half used"),
    "trigger_almost_finished": ("快用完了", "Almost finished"),
    "trigger_birthday": ("生日", "Birthday"),
    "trigger_stage_up": ("关系升级", "Stage up"),
    "trigger_long_silence": ("很久没联系", "Long silence"),
    "trigger_milestone": ("成长节点", "Milestone"),
    "trigger_question": ("客户提问", "A question"),
    "trigger_welcome": ("欢迎", "Welcome"),
    "trigger_after_purchase": ("购买之后", "After purchase"),
    "trigger_monthly": ("月度内容", "Monthly series"),
    "trigger_tier_invite": ("邀请加入圈子", "Tier invitation"),
    # severities
    "severity_info": ("提示", "Info"),
    "severity_warn": ("注意", "Warning"),
    "severity_error": ("错误", "Error"),
    # draft page
    "back_to_queue": ("← 返回队列", "← Back to the queue"),
    "draft": ("草稿", "Draft"),
    "version": ("版本", "Version"),
    "channel": ("渠道", "Channel"),
    "trigger": ("触发", "Trigger"),
    "score": ("得分", "Score"),
    "text_with_findings": ("正文与检查结果", "Text and findings"),
    "findings": ("检查发现", "Findings"),
    "no_findings": ("没有发现问题。", "No findings."),
    "suggestion": ("建议", "Suggestion"),
    "rule": ("规则", "Rule"),
    "context": ("客户情况", "Customer context"),
    "product": ("产品", "Product"),
    "days_since_purchase": ("距购买天数", "Days since purchase"),
    "usage_days": ("预计用完天数", "Expected usage days"),
    "days": ("天", "days"),
    "goal": ("这条消息要做的事", "What this message is for"),
    "knowledge_used": ("引用的知识", "Knowledge used"),
    "belief_used": ("品牌信念", "Belief statement"),
    "passages": ("引用的资料", "Passages"),
    "birthday": ("生日", "Birthday"),
    "tags": ("标签", "Tags"),
    "doc_kind_value": ("品牌理念", "values"),
    "doc_kind_usage_guide": ("使用指南", "usage guide"),
    "doc_kind_story": ("用户故事", "story"),
    "doc_kind_faq": ("常见问题", "FAQ"),
    "doc_kind_policy": ("政策", "policy"),
    "doc_kind_activity": ("社群活动", "activity"),
    "no_sources": ("没有引用知识。", "No knowledge was used."),
    "attempts": ("生成过程", "Attempt history"),
    "attempt": ("第 {n} 次尝试", "Attempt {n}"),
    "no_attempts": ("没有记录。", "No attempts recorded."),
    "attempt_text": ("查看这次写出的正文", "Show the text of this attempt"),
    "must": ("必须做到", "Must"),
    "must_not": ("不能出现", "Must not"),
    "seconds": ("秒", "s"),
    # edit
    "edit": ("修改正文", "Edit the text"),
    "edit_help": (
        "边改边检查：停下输入片刻，检查结果会自动更新。",
        "Checks re-run as you type: pause for a moment and the findings update.",
    ),
    "live_check": ("实时检查", "Live check"),
    "live_check_idle": (
        "开始修改后，这里会显示修改后正文的检查结果。",
        "Start editing: the checks for your new text appear here.",
    ),
    "save": ("保存为新版本", "Save as a new version"),
    "saved": ("已保存为第 {n} 版。", "Saved as version {n}."),
    "stale_version": (
        "有人在你之前保存了新版本（第 {n} 版）。你的修改还在下面，请对照最新版本后再保存。",
        "Someone saved a newer version (version {n}) before you. Your edit is kept below; "
        "compare it with the latest version, then save again.",
    ),
    "unchanged": ("正文没有变化，无需保存。", "The text did not change; nothing to save."),
    "text_required": ("正文不能为空。", "The text cannot be empty."),
    "text_too_long": ("正文太长了。", "The text is too long."),
    "versions": ("版本记录", "Versions"),
    "diff": ("对比", "Diff"),
    "diff_title": ("第 {a} 版 → 第 {b} 版", "Version {a} → version {b}"),
    "diff_same": ("两个版本相同。", "The two versions are identical."),
    "compare": ("对比所选版本", "Compare"),
    "by": ("由", "by"),
    "generated": ("生成", "generated"),
    # decisions
    "decision": ("审核决定", "Decision"),
    "approve": ("通过", "Approve"),
    "approved": ("已通过，可以发送。", "Approved; ready to send."),
    "reject": ("退回", "Reject"),
    "rejected": ("已退回。", "Rejected."),
    "reason": ("原因", "Reason"),
    "reject_reason_help": (
        "写下退回原因，帮助下次生成得更好。",
        "Say why, so the next draft is better.",
    ),
    "reason_required": ("请写下原因。", "Please give a reason."),
    "override_reason": ("放行原因", "Override reason"),
    "override_help": (
        "这条草稿被检查拦截（block）。如确认可以发送，请写下放行原因。",
        "The checks blocked this draft. To approve it anyway, say why it is safe to send.",
    ),
    "override_required": (
        "这条草稿被拦截，通过前必须写下放行原因。",
        "This draft is blocked: approving it needs an override reason.",
    ),
    "already_decided": ("这条草稿已经审核过了。", "This draft was already decided."),
    "regenerate": ("重新生成", "Regenerate"),
    "regenerate_help": (
        "为同一位客户重新写一条草稿（当前草稿会保留）。",
        "Write a new draft for the same customer (this one is kept).",
    ),
    "regenerated": (
        "已开始重新生成，稍等片刻。",
        "A new draft is being written; it takes a moment.",
    ),
    "generating_title": ("正在生成草稿…", "Writing the draft…"),
    "generating_help": (
        "模型正在写这一稿，本页每3秒自动刷新，写好后直接显示。",
        "The model is writing this draft; this page refreshes every 3 seconds and shows it "
        "when it is ready.",
    ),
    "generation_failed": ("这一稿没能生成", "This draft could not be written"),
    "batch_approve": (
        "通过这一批里检查全部通过的草稿",
        "Approve this batch's drafts that pass every check",
    ),
    "batch_approve_help": (
        "每一条都单独记为一次审核；有问题或待确认的草稿留在队列里，等人来读。",
        "Each is recorded as its own decision; drafts with findings stay in the queue for a "
        "person to read.",
    ),
    "batch_approved": (
        "已通过 {n} 条检查全部通过的草稿；其余的仍在队列里。",
        "Approved {n} draft(s) that pass every check; the rest stay in the queue.",
    ),
    "batch": ("批次", "Batch"),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all"),
    "prev_page": ("← 上一页", "← Previous"),
    "next_page": ("下一页 →", "Next →"),
    "regenerate_failed": ("重新生成失败：{error}", "Could not regenerate: {error}"),
    "decided_by": ("审核人", "Decided by"),
    "history": ("审核记录", "Review history"),
    # replies on a draft
    "replies": ("客户回复", "Customer replies"),
    "replies_count": ("{n} 条，其中批评 {c} 条", "{n} in all, {c} criticising"),
    "criticism": ("批评", "Criticism"),
    "criticism_help": (
        "批评是品牌能收到的最有用的回复：先读它，再决定这一稿怎么改。",
        "Criticism is the most useful reply a brand gets: read it first, then decide what "
        "this draft needs.",
    ),
    "complaint": ("投诉", "Complaint"),
    "co_creation": ("共创", "Co-creation"),
    # outcomes
    "outcomes": ("成效", "Outcomes"),
    "outcomes_title": ("成效：草稿发出之后", "Outcomes: what the drafts led to"),
    "outcomes_help": (
        "发出的关怀消息之后，客户回复了没有、30 天和 60 天内有没有再买、有没有退订；"
        "再和对照组（到了该关怀的时候、故意没有发的客户）比一比。每个比例都带 95% 区间和样本数。",
        "After each care message: did the customer reply, buy again within 30 and 60 days, "
        "unsubscribe — and the same for the holdout (customers who were due but deliberately "
        "not contacted). Every rate comes with its 95 % interval and sample size.",
    ),
    "from_date": ("从", "From"),
    "to_date": ("到", "To"),
    "show": ("查看", "Show"),
    "bad_dates": (
        "日期不对（格式 2026-11-30，开始不能晚于结束），下面是最近 {n} 天。",
        "Those dates do not work (2026-11-30, the start not after the end); showing the last "
        "{n} days.",
    ),
    "no_outcomes": (
        "这段时间还没有发送记录。用 zhenxin events import 导入事件，或调用 POST /v1/events。",
        "Nothing was sent in this period yet. Import events with zhenxin events import, or "
        "POST them to /v1/events.",
    ),
    "holdout_title": (
        "30 天内回购：发了关怀 vs 对照组",
        "Bought again within 30 days: contacted vs held out",
    ),
    "contacted": ("发了关怀", "Contacted"),
    "held_out": ("对照组（未发）", "Held out"),
    "customers_n": ("{n} 位客户", "{n} customers"),
    "lift_text": (
        "发了关怀的比对照组多 {diff} 个百分点（95% 区间 {low} 到 {high}）。"
        "区间跨过 0，就还说不清有没有用。",
        "Contacted minus held out: {diff} points (95 % interval {low} to {high}). An interval "
        "that spans 0 does not tell yet whether care helps.",
    ),
    "no_holdout": (
        "这段时间没有对照组，无法比较。关怀批次会按 ZHENXIN_HOLDOUT_SHARE 留出一部分客户不发。",
        "No holdout in this period, so nothing to compare. Care batches hold out a share of "
        "due customers (ZHENXIN_HOLDOUT_SHARE).",
    ),
    "chart_holdout": (
        "30 天内回购率，按触发",
        "30-day repurchase rate, per trigger",
    ),
    "chart_interval": ("线段为 95% 区间，浅色为样本少", "whiskers: 95 % interval; pale: few"),
    "by_trigger_title": (
        "按触发：回复率与 30 天内回购率",
        "Per trigger: replies and 30-day repurchase",
    ),
    "chart_triggers": ("所有发送", "All sends"),
    "all_triggers": ("全部", "All"),
    "groups": ("分组明细", "Groups"),
    "sent_total": ("共发送 {n} 条", "{n} sent in all"),
    "few": ("样本少", "few"),
    "few_help": (
        "样本少于 {n} 的比例标为“样本少”：区间很宽，说明不了多少。",
        "A rate from fewer than {n} is marked “few”: its interval is wide and says little.",
    ),
    "month": ("月份", "Month"),
    "drafted": ("生成", "Drafted"),
    "approved_count": ("通过", "Approved"),
    "sent": ("发送", "Sent"),
    "reply_rate": ("回复率", "Reply rate"),
    "bought_30d": ("30 天内回购", "Bought ≤30 d"),
    "bought_60d": ("60 天内回购", "Bought ≤60 d"),
    "unsubscribed": ("退订", "Unsubscribed"),
    # errors
    "not_found": ("找不到这条草稿。", "This draft was not found."),
    "error": ("出错了", "Something went wrong"),
}


# Content kinds are named once, in their KindSpec (generator/kinds.py).
MESSAGES |= {f"kind_{k.value}": (spec.label_zh, spec.label_en) for k, spec in KINDS.items()}


def t(key: str, lang: str, **kwargs: object) -> str:
    """The text for ``key`` in ``lang`` (zh or en), formatted with ``kwargs``."""
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**kwargs) if kwargs else text


def request_lang(request: Request) -> Lang:
    """``?lang=`` wins, then the language cookie, then Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return "en" if asked == "en" else "zh"
