"""Everything the bot shows, cut to Discord's limits in one place.

Discord rejects a whole message (HTTP 400) when any one part is too long, so every text that
reaches Discord passes through here.  Cuts never split a ``[n]`` citation marker, never cut a
citation field in half (a field is kept whole with a shortened quote, or dropped with a note)
and keep the message under the 6000-character total.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import discord
from discord.utils import escape_markdown

from newsqa.text.control import clean_text
from newsqa.types import Answer, Article, Citation, Passage

CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
EMBEDS = 10
ELLIPSIS = "…"
CONTEXT = 400  # characters of article text shown on each side of a quote in "Sources"

COLOR = discord.Colour.blurple()
NOTHING_FOUND = (
    "I found nothing in the archive that answers this. Try other words, a wider date range "
    "(`since`/`until`) or no `source` filter; `/stats` shows what the archive covers."
)

_MARKER = re.compile(r"\[\d+\]")
_DANGLING = re.compile(r"\[\d*$")
_LINK_PUNCT = re.compile(r"([\[\]()])")

NO_MENTIONS = discord.AllowedMentions.none()


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a word boundary when one is near, with "…"."""
    text = text or ""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    cut = _DANGLING.sub("", cut.rstrip())  # never leave half a "[12]" marker
    if cut.endswith("\\") and not cut.endswith("\\\\"):
        cut = cut[:-1]  # never leave half a markdown escape
    return cut.rstrip() + ELLIPSIS


def clip_answer(text: str, limit: int) -> str:
    """Cut answer prose right after the last whole ``[n]`` marker that fits.

    An answer is sentences each followed by their markers, so cutting after a marker keeps
    every shown claim together with its citation.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - 1
    ends = [m.end() for m in _MARKER.finditer(text) if m.end() <= room]
    if ends:
        return text[: ends[-1]] + " " + ELLIPSIS
    return clip(text, limit)


def partial_answer(text: str) -> str:
    """A generated answer while it streams: its checked sentences so far, then "…"."""
    return clip_answer(escape_markdown(text.strip()), CONTENT - 2) + " " + ELLIPSIS


def quote_block(text: str, limit: int) -> str:
    """Markdown block quote of (escaped) archive text, within ``limit`` characters."""
    body = escape_markdown(" ".join(text.split()))
    return "> " + clip(body, limit - 2)


def link_text(title: str) -> str:
    """``title`` escaped for the text of a markdown link, control characters removed.

    ``escape_markdown`` leaves ``]`` and ``(`` alone, so a title such as
    ``Title](https://evil.example) (`` would close the link text early and point the
    citation at another address.  Every bracket and parenthesis is escaped here; the pieces
    between them get Discord's usual markdown escaping.
    """
    parts = _LINK_PUNCT.split(clean_text(title))
    return "".join("\\" + p if i % 2 else escape_markdown(p) for i, p in enumerate(parts))


def link(title: str, url: str | None, limit: int) -> str:
    """A markdown link ``[title](url)`` (plain title without url), within ``limit``."""
    url = clean_text(url or "").replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    if not url.startswith(("http://", "https://")) or len(url) > limit // 2:
        return f"**{clip(link_text(title), limit - 4)}**"
    return f"[{clip(link_text(title), limit - len(url) - 4)}]({url})"


def embed_length(embed: discord.Embed) -> int:
    """Characters that count toward Discord's 6000 per message."""
    d = embed.to_dict()
    n = len(d.get("title", "")) + len(d.get("description", ""))
    n += len(d.get("footer", {}).get("text", "")) + len(d.get("author", {}).get("name", ""))
    return n + sum(len(f["name"]) + len(f["value"]) for f in d.get("fields", []))


def meta_line(source: str | None, date: str | None) -> str:
    return " · ".join(p for p in (source, date) if p) or "unknown source"


def archive_footer(stats: dict[str, Any] | None, notes: list[str] | None = None) -> str:
    """"Archive: 31 articles · 2016-01-18 – 2016-10-31" plus the answer's notes."""
    parts = list(notes or [])
    if stats:
        span = f" · {stats.get('date_from')} – {stats.get('date_to')}" if stats.get(
            "date_from") else ""
        parts.append(f"Archive: {stats.get('articles', 0):,} articles{span}")
    return clip(" | ".join(parts), FOOTER)


def _add_fields(embed: discord.Embed, fields: list[tuple[str, str]], what: str) -> None:
    """Add whole fields while they fit the 25-field and 6000-character limits.

    Fields that do not fit are dropped (never cut) and counted in a last note.
    """
    note = "+{} more " + what + ": use the Sources button"
    reserve = len(note) + 8
    for i, (name, value) in enumerate(fields):
        last = i == len(fields) - 1
        slots = FIELDS if last else FIELDS - 1  # keep a slot for the note
        size = embed_length(embed) + len(name) + len(value) + (0 if last else reserve)
        if len(embed.fields) >= slots or size > EMBED_TOTAL:
            embed.add_field(name="…", value=note.format(len(fields) - i), inline=False)
            return
        embed.add_field(name=name, value=value, inline=False)


def citation_field(c: Citation) -> tuple[str, str]:
    """Field for one citation: "[n] outlet · date" over the linked title and the quote."""
    name = clip(f"[{c.n}] {meta_line(c.source, c.date)}", FIELD_NAME)
    head = link(c.title or c.article_id, c.url, 300)
    return name, head + "\n" + quote_block(c.quote, FIELD_VALUE - len(head) - 1)


def answer_embed(answer: Answer, stats: dict[str, Any] | None) -> discord.Embed:
    """The reply to /ask: answer prose with [n] markers, one field per citation, a footer."""
    embed = discord.Embed(
        title=clip(answer.question, TITLE),
        description=clip_answer(escape_markdown(answer.answer), DESCRIPTION),
        colour=COLOR,
    )
    embed.set_footer(text=archive_footer(stats, answer.notes))
    _add_fields(embed, [citation_field(c) for c in answer.citations], "sources")
    return embed


def nothing_found(answer: Answer, stats: dict[str, Any] | None) -> discord.Embed:
    """Shown instead of an empty answer: what to try next."""
    embed = discord.Embed(title=clip(answer.question, TITLE), description=NOTHING_FOUND,
                          colour=discord.Colour.light_grey())
    embed.set_footer(text=archive_footer(stats, answer.notes))
    return embed


def sources_embeds(citations: list[Citation], articles: dict[str, Article]
                   ) -> list[discord.Embed]:
    """Ephemeral "Sources": each quote in full, in bold, inside its surrounding text.

    ``articles`` holds the cited articles still in the archive (a removed one shows the
    quote alone); the embeds share out the 6000 characters one message may carry.
    """
    shown = citations[:EMBEDS]
    budget = max((EMBED_TOTAL - 200 * len(shown)) // max(len(shown), 1), 200)
    embeds = []
    for c in shown:
        e = discord.Embed(title=clip(f"[{c.n}] {c.title or c.article_id}", TITLE),
                          url=c.url if (c.url or "").startswith("http") else None, colour=COLOR)
        art = articles.get(c.article_id)
        before, after = ("", "") if art is None else (art.text[:c.start], art.text[c.end:])
        e.description = excerpt(before, c.quote, after, min(DESCRIPTION, budget))
        e.set_footer(text=clip(f"{meta_line(c.source, c.date)} · id {c.article_id} · "
                               f"chars {c.start}–{c.end}", 150))
        embeds.append(e)
    return embeds


def excerpt(before: str, quote: str, after: str, limit: int) -> str:
    """A block quote with ``quote`` in bold and as much context around it as fits.

    The quote itself is only cut when it alone exceeds ``limit``; up to ``CONTEXT``
    characters of context on each side are cut at word boundaries.
    """
    q = escape_markdown(" ".join(quote.split()))
    if len(q) + 8 > limit:
        return quote_block(quote, limit)
    room = min((limit - len(q) - 8) // 2, CONTEXT)
    b = escape_markdown(_side(before, room, near_end=True))
    a = escape_markdown(_side(after, room, near_end=False))
    while len(b) + len(a) + len(q) + 6 > limit:  # escaping made the context longer
        b, a = b[len(b) // 4:], a[: len(a) * 3 // 4]
    return f"> {b} **{q}** {a}".replace(">  **", "> **").rstrip()


def _side(text: str, room: int, *, near_end: bool) -> str:
    """At most ``room`` characters of ``text`` next to the quote, cut at a word, with "…"."""
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    if room < 10:
        return ""
    if near_end:
        return "…" + text[-(room - 1):].split(" ", 1)[-1]
    return text[:room - 1].rsplit(" ", 1)[0] + "…"


def search_embed(query: str, passages: list[Passage], stats: dict[str, Any] | None
                 ) -> discord.Embed:
    """The reply to /search: top passages, each with its linked title and article id."""
    embed = discord.Embed(title=clip(f"Search: {query}", TITLE), colour=COLOR)
    if not passages:
        embed.description = NOTHING_FOUND
    fields = []
    for i, p in enumerate(passages, 1):
        head = link(p.title or p.article_id, p.url, 300) + f" · `{clip(p.article_id, 80)}`"
        name = clip(f"{i}. {meta_line(p.source, p.date)} · score {p.score:.2f}", FIELD_NAME)
        fields.append((name, head + "\n" + quote_block(p.text, min(FIELD_VALUE - len(head) - 1,
                                                                   400))))
    _add_fields(embed, fields, "results")
    embed.set_footer(text=archive_footer(stats))
    return embed


def article_embed(article: Article) -> discord.Embed:
    """The reply to /article: metadata fields and the start of the text."""
    embed = discord.Embed(title=clip(article.title or article.id, TITLE), colour=COLOR,
                          url=article.url if (article.url or "").startswith("http") else None)
    meta = [("Outlet", article.source), ("Date", article.date), ("Id", f"`{article.id}`"),
            ("Authors", ", ".join(article.authors)), ("Language", article.lang)]
    for name, value in meta:
        if value:
            embed.add_field(name=name, value=clip(escape_markdown(value) if name != "Id"
                                                  else value, FIELD_VALUE), inline=True)
    room = EMBED_TOTAL - embed_length(embed) - 50
    embed.description = clip(escape_markdown(article.text), min(DESCRIPTION, room, 1500))
    embed.set_footer(text=f"{len(article.text):,} characters")
    return embed


def stats_embed(stats: dict[str, Any]) -> discord.Embed:
    """The reply to /stats: counts, date range and the largest outlets."""
    embed = discord.Embed(title="Archive statistics", colour=COLOR)
    embed.add_field(name="Articles", value=f"{stats.get('articles', 0):,}")
    embed.add_field(name="Passages", value=f"{stats.get('chunks', 0):,}")
    embed.add_field(name="Dates", value=f"{stats.get('date_from') or '?'} – "
                                        f"{stats.get('date_to') or '?'}")
    sources = sorted((stats.get("sources") or {}).items(), key=lambda kv: -kv[1])
    lines = [f"{escape_markdown(s)}: {n:,}" for s, n in sources[:15]]
    if len(sources) > 15:
        lines.append(f"… and {len(sources) - 15} more")
    embed.add_field(name="Outlets", value=clip("\n".join(lines) or "none", FIELD_VALUE),
                    inline=False)
    if stats.get("followed"):
        embed.add_field(name="Followed", value=followed_text(stats["followed"]), inline=False)
    embed.set_footer(text=clip(f"Model {stats.get('model')} · "
                               f"{stats.get('size_bytes', 0) / 1e6:.1f} MB on disk", FOOTER))
    return embed


def followed_text(followed: list[dict[str, Any]], limit: int = 10) -> str:
    """One line per followed source: when it last brought articles (a Discord timestamp,
    shown in each reader's own time zone) and, while it fails, why."""
    lines = []
    for src in followed[:limit]:
        if src.get("last_new"):
            when = datetime.fromisoformat(src["last_new"])
            news = f"last brought {src['last_new_count']} {discord.utils.format_dt(when, 'R')}"
        else:
            news = "nothing brought yet"
        failing = f" · failing: {escape_markdown(src['last_error'])}" if src.get(
            "last_error") else ""
        url = clean_text(src["url"]).replace("`", "%60")
        lines.append(clip(f"`{clip(url, 100)}`: {news}{failing}", 250))
    if len(followed) > limit:
        lines.append(f"… and {len(followed) - limit} more")
    return clip("\n".join(lines), FIELD_VALUE)


def error_text(error_id: str) -> str:
    return (f"Sorry, something went wrong on my side (error id `{error_id}`). "
            "The bot's admins can look it up in the log.")


def text(message: str) -> str:
    """Plain content, cut to the 2000-character limit."""
    return clip(message, CONTENT)
