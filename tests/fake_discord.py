"""A fake Discord on 127.0.0.1 for running the real, unmodified discord.py client in tests.

REST routes (aiohttp) and a gateway websocket, just enough for a bot with slash commands,
components and messages.  It enforces Discord's rules so tests catch real mistakes:
interactions must be acknowledged within 3 s and only once, follow-ups and edits need an
acknowledged interaction, and every message must respect Discord's length limits (a
violation is answered with Discord's 400 "Invalid Form Body" and recorded in ``violations``).
``rate_limit_next`` makes the next webhook calls answer 429 the way Discord does.

Point the client at it with two class attributes (see ``tests/test_bot.py``):
``discord.http.Route.BASE = fake.api_base`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

ACK_DEADLINE = 3.0
MANAGE_GUILD = 1 << 5
BASIC_PERMS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31)  # view, send, history, app cmds
LIMITS = {"content": 2000, "title": 256, "description": 4096, "fields": 25, "field_name": 256,
          "field_value": 1024, "footer": 2048, "author": 256, "embeds": 10, "total": 6000}

_ids = itertools.count(1_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """Exactly ``application/json``: discord.py compares the header verbatim (no charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status)


def limit_problems(payload: dict[str, Any]) -> list[str]:
    """What Discord would reject in a message payload, as readable strings."""
    problems = []
    content = payload.get("content") or ""
    if len(content) > LIMITS["content"]:
        problems.append(f"content {len(content)} > 2000")
    embeds = payload.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds > 10")
    total = 0
    for i, e in enumerate(embeds):
        checks = [("title", e.get("title") or ""), ("description", e.get("description") or ""),
                  ("footer", (e.get("footer") or {}).get("text") or ""),
                  ("author", (e.get("author") or {}).get("name") or "")]
        fields = e.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            problems.append(f"embed {i}: {len(fields)} fields > 25")
        for f in fields:
            checks += [("field_name", f.get("name") or ""), ("field_value", f.get("value") or "")]
            if not f.get("name") or not f.get("value"):
                problems.append(f"embed {i}: empty field name or value")
        for what, text in checks:
            total += len(text)
            if len(text) > LIMITS[what]:
                problems.append(f"embed {i}: {what} {len(text)} > {LIMITS[what]}")
    if total > LIMITS["total"]:
        problems.append(f"embeds total {total} > 6000")
    return problems


def apply_edit(message: dict[str, Any], body: dict[str, Any]) -> None:
    """An edit as Discord applies it: the fields sent replace the message's, null clears."""
    for key in ("content", "embeds", "components", "allowed_mentions"):
        if key in body:
            message[key] = body[key] if body[key] is not None else (
                "" if key == "content" else [])


@dataclass
class Interaction:
    """One interaction sent to the bot and everything the bot did with it."""

    id: str
    token: str
    payload: dict[str, Any]
    created: float
    acked_at: float | None = None
    ack_type: int | None = None
    ephemeral: bool = False
    original: dict[str, Any] | None = None  # the response message (None: none yet / deleted)
    original_pending: bool = False  # deferred and not yet edited: a follow-up edits it
    followups: list[dict[str, Any]] = field(default_factory=list)
    autocomplete: list[dict[str, Any]] | None = None
    edits: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (monotonic, body)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ack_latency(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.created

    def messages(self) -> list[dict[str, Any]]:
        return ([self.original] if self.original else []) + self.followups


class FakeDiscord:
    """REST + gateway for one application, one guild and one text channel."""

    TOKEN = "fake.bot.token"

    def __init__(self) -> None:
        self.app_id = snowflake()
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.mod_role = snowflake()
        self.bot_user = {"id": self.app_id, "username": "newsqa", "discriminator": "0",
                         "global_name": "newsqa", "avatar": None, "bot": True, "flags": 0}
        self.interactions: dict[str, Interaction] = {}
        self.command_syncs: list[tuple[str, list[dict[str, Any]]]] = []
        self.channel_messages: list[dict[str, Any]] = []
        # Every body the bot wrote to a channel message, by message id: the send, then each
        # edit, with its time.monotonic().
        self.channel_writes: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.payloads: list[dict[str, Any]] = []  # every message body the bot sent
        self.violations: list[str] = []
        self.files: dict[str, bytes] = {}
        self.file_requests: list[str] = []  # names of hosted files that were fetched
        self.identified = asyncio.Event()
        self.sockets: list[web.WebSocketResponse] = []
        self.heartbeats = 0
        self.rate_limit_next = 0  # answer this many webhook edits/follow-ups with a 429
        self.rate_limited = 0
        self._seq = itertools.count(1)
        self.port = 0
        self._runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        app = web.Application()
        api = "/api/v10"
        r = app.router
        r.add_get("/", self.gateway)
        r.add_get(api + "/users/@me", self.get_me)
        r.add_get(api + "/oauth2/applications/@me", self.get_application)
        r.add_put(api + "/applications/{app}/commands", self.put_commands)
        r.add_put(api + "/applications/{app}/guilds/{guild}/commands", self.put_commands)
        r.add_post(api + "/interactions/{iid}/{token}/callback", self.callback)
        r.add_post(api + "/webhooks/{app}/{token}", self.followup)
        r.add_get(api + "/webhooks/{app}/{token}/messages/{mid}", self.get_message)
        r.add_patch(api + "/webhooks/{app}/{token}/messages/{mid}", self.edit_message)
        r.add_delete(api + "/webhooks/{app}/{token}/messages/{mid}", self.delete_message)
        r.add_post(api + "/channels/{cid}/messages", self.channel_message)
        r.add_patch(api + "/channels/{cid}/messages/{mid}", self.edit_channel_message)
        r.add_post(api + "/channels/{cid}/typing", self.typing)
        r.add_get("/files/{name}", self.get_file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    # --- REST: identity and commands ---------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.TOKEN}"

    async def get_me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        return json_response(self.bot_user)

    async def get_application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        return json_response({
            "id": self.app_id, "name": "newsqa", "icon": None, "description": "",
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
            "owner": {**self.bot_user, "id": snowflake(), "bot": False, "username": "owner"},
            "flags": 0, "summary": "", "interactions_endpoint_url": None,
        })

    async def put_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        body = await request.json()
        scope = request.match_info.get("guild", "global")
        self.command_syncs.append((scope, body))
        out = [{**c, "id": snowflake(), "application_id": self.app_id, "version": snowflake(),
                "type": c.get("type", 1), "default_member_permissions":
                    c.get("default_member_permissions"), "dm_permission": True, "nsfw": False}
               for c in body]
        if scope != "global":
            for c in out:
                c["guild_id"] = scope
        return json_response(out)

    # --- gateway ------------------------------------------------------------------------
    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data["op"] == 1:
                self.heartbeats += 1
                await asyncio.sleep(0.01)  # like a network; an instant ack races discord.py
                await ws.send_str(json.dumps({"op": 11}))
            elif data["op"] == 2:
                if data["d"]["token"] != self.TOKEN:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._dispatch(ws, "READY", {
                    "v": 10, "user": self.bot_user, "guilds": [{"id": self.guild_id,
                                                                "unavailable": True}],
                    "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
                    "application": {"id": self.app_id, "flags": 1 << 19},
                    "private_channels": [], "relationships": [],
                })
                await self._dispatch(ws, "GUILD_CREATE", self.guild())
                self.identified.set()
        return ws

    async def _dispatch(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def dispatch(self, event: str, data: Any) -> None:
        """Send an event to every connected client."""
        for ws in self.sockets:
            if not ws.closed:
                await self._dispatch(ws, event, data)

    def guild(self) -> dict[str, Any]:
        everyone = {"id": self.guild_id, "name": "@everyone", "permissions": str(BASIC_PERMS),
                    "position": 0, "color": 0, "hoist": False, "managed": False,
                    "mentionable": False, "flags": 0}
        mods = {**everyone, "id": self.mod_role, "name": "Mods", "position": 1,
                "permissions": str(BASIC_PERMS | MANAGE_GUILD)}
        return {
            "id": self.guild_id, "name": "Newsroom", "icon": None, "owner_id": snowflake(),
            "roles": [everyone, mods], "emojis": [], "stickers": [], "features": [],
            "channels": [{"id": self.channel_id, "type": 0, "name": "general", "position": 0,
                          "permission_overwrites": [], "guild_id": self.guild_id}],
            "threads": [], "members": [], "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "member_count": 2,
            "large": False, "unavailable": False, "mfa_level": 0, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0,
            "premium_tier": 0, "preferred_locale": "en-US", "system_channel_flags": 0,
            "nsfw_level": 0, "joined_at": "2024-01-01T00:00:00+00:00",
        }

    # --- sending interactions ------------------------------------------------------------
    def user(self, user_id: int, name: str = "alice") -> dict[str, Any]:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
                "avatar": None, "bot": False, "flags": 0}

    def member(self, user_id: int, *, admin: bool = False) -> dict[str, Any]:
        return {"user": self.user(user_id), "roles": [self.mod_role] if admin else [],
                "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                "flags": 0, "permissions": str(BASIC_PERMS | (MANAGE_GUILD if admin else 0))}

    async def interact(self, type_: int, data: dict[str, Any], *, user_id: int = 42,
                       admin: bool = False, message: dict[str, Any] | None = None,
                       channel_id: str | None = None) -> Interaction:
        """Send an INTERACTION_CREATE from a guild member and return its record."""
        iid = snowflake()
        token = f"itoken-{iid}"
        payload = {
            "id": iid, "application_id": self.app_id, "type": type_, "token": token,
            "version": 1, "guild_id": self.guild_id, "channel_id": channel_id or self.channel_id,
            "channel": {"id": channel_id or self.channel_id, "type": 0, "name": "general",
                        "guild_id": self.guild_id, "position": 0, "permission_overwrites": []},
            "member": self.member(user_id, admin=admin), "locale": "en-US",
            "guild_locale": "en-US", "app_permissions": str(BASIC_PERMS), "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id}, "context": 0,
            "attachment_size_limit": 25 * 1024 * 1024, "data": data,
        }
        if message is not None:
            payload["message"] = message
        record = Interaction(iid, token, payload, time.monotonic())
        self.interactions[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def command(self, name: str, *, user_id: int = 42, admin: bool = False,
                      channel_id: str | None = None, resolved: dict | None = None,
                      **options: Any) -> Interaction:
        """A slash command with ``options`` (name -> value; None values are left out)."""
        types = {bool: 5, int: 4, str: 3}
        opts = [{"name": k, "type": 11 if k == "attachment" else types[type(v)], "value": v}
                for k, v in options.items() if v is not None]
        data = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        return await self.interact(2, data, user_id=user_id, admin=admin, channel_id=channel_id)

    async def autocomplete(self, name: str, focused: str, value: str, **options: Any
                           ) -> Interaction:
        opts = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        opts.append({"name": focused, "type": 3, "value": value, "focused": True})
        return await self.interact(4, {"id": snowflake(), "name": name, "type": 1,
                                       "options": opts})

    async def click(self, message: dict[str, Any], custom_id: str, *, user_id: int = 42
                    ) -> Interaction:
        return await self.interact(3, {"custom_id": custom_id, "component_type": 2},
                                   user_id=user_id, message=message)

    def attachment(self, name: str, content: bytes) -> tuple[str, dict[str, Any]]:
        """Host a file and return (attachment id, resolved payload) for a command option."""
        aid = snowflake()
        self.files[name] = content
        url = f"http://127.0.0.1:{self.port}/files/{name}"
        return aid, {"attachments": {aid: {"id": aid, "filename": name, "size": len(content),
                                           "url": url, "proxy_url": url,
                                           "content_type": "text/plain"}}}

    async def get_file(self, request: web.Request) -> web.Response:
        self.file_requests.append(request.match_info["name"])
        return web.Response(body=self.files[request.match_info["name"]])

    # --- REST: interaction responses ------------------------------------------------------
    def _message(self, body: dict[str, Any], *, ephemeral: bool, channel_id: str | None = None
                 ) -> dict[str, Any]:
        return {
            "id": snowflake(), "channel_id": channel_id or self.channel_id, "type": 20,
            "author": self.bot_user, "content": body.get("content") or "",
            "embeds": body.get("embeds") or [], "components": body.get("components") or [],
            "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
            "pinned": False, "tts": False, "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None, "flags": 64 if ephemeral else 0,
            "allowed_mentions": body.get("allowed_mentions"),
            "webhook_id": self.app_id, "application_id": self.app_id,
        }

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            return json.loads(form["payload_json"])
        return await request.json() if request.can_read_body else {}

    def _check(self, body: dict[str, Any], where: str) -> web.Response | None:
        problems = limit_problems(body)
        if problems:
            self.violations.append(f"{where}: {'; '.join(problems)}")
            return error(400, 50035, "Invalid Form Body", errors={"_": problems})
        if body.get("content") or body.get("embeds"):
            self.payloads.append(body)
        return None

    async def callback(self, request: web.Request) -> web.Response:
        rec = self.interactions.get(request.match_info["token"])
        if rec is None or rec.id != request.match_info["iid"]:
            return error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if rec.acked_at is not None:
            self.violations.append(f"double ack of {rec.id}")
            return error(400, 40060, "Interaction has already been acknowledged.")
        if now - rec.created > ACK_DEADLINE:
            self.violations.append(f"late ack of {rec.id} after {now - rec.created:.2f} s")
            return error(404, 10062, "Unknown interaction")
        body = await self._body(request)
        data = body.get("data") or {}
        if (bad := self._check(data, "callback")) is not None:
            return bad
        rec.acked_at, rec.ack_type = now, body["type"]
        rec.ephemeral = bool((data.get("flags") or 0) & 64)
        if body["type"] == 8:
            rec.autocomplete = data.get("choices", [])
        elif body["type"] in (4, 5):
            rec.original = self._message(data, ephemeral=rec.ephemeral)
            rec.original_pending = body["type"] == 5
        elif body["type"] == 7 and rec.payload.get("message"):
            rec.original = {**rec.payload["message"], **data}
        rec.changed.set()
        resource = {"type": body["type"]}
        if rec.original is not None and body["type"] in (4, 5, 7):
            resource["message"] = rec.original
        return json_response({
            "interaction": {"id": rec.id, "type": rec.payload["type"],
                            "response_message_id": (rec.original or {}).get("id"),
                            "response_message_loading": body["type"] == 5,
                            "response_message_ephemeral": rec.ephemeral},
            "resource": resource,
        })

    def _throttled(self) -> web.Response | None:
        """Discord's 429: JSON ``retry_after`` and a ``Via`` header (else it is a proxy's)."""
        if self.rate_limit_next <= 0:
            return None
        self.rate_limit_next -= 1
        self.rate_limited += 1
        return json_response({"message": "You are being rate limited.", "retry_after": 0.05,
                              "global": False}, 429,
                             headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"})

    def _acked(self, request: web.Request) -> Interaction | None:
        rec = self.interactions.get(request.match_info["token"])
        if rec is None or rec.acked_at is None:
            self.violations.append(f"{request.method} {request.path} before the ack")
            return None
        return rec

    async def _webhook_write(self, request: web.Request, kind: str
                             ) -> tuple[Interaction, dict] | web.Response:
        """The checks every follow-up and edit passes first: rate limit, ack, limits."""
        if (limited := self._throttled()) is not None:
            return limited
        rec = self._acked(request)
        if rec is None:
            return error(404, 10015, "Unknown Webhook")
        body = await self._body(request)
        if (bad := self._check(body, kind)) is not None:
            return bad
        return rec, body

    async def followup(self, request: web.Request) -> web.Response:
        checked = await self._webhook_write(request, "followup")
        if isinstance(checked, web.Response):
            return checked
        rec, body = checked
        if rec.original_pending:  # Discord: the first follow-up after a defer edits it
            rec.original = {**rec.original, **self._message(body, ephemeral=rec.ephemeral),
                            "id": rec.original["id"]}
            rec.original_pending = False
            msg = rec.original
        else:
            msg = self._message(body, ephemeral=bool((body.get("flags") or 0) & 64))
            rec.followups.append(msg)
        rec.changed.set()
        return json_response(msg)

    async def get_message(self, request: web.Request) -> web.Response:
        rec = self._acked(request)
        if rec is None or rec.original is None:
            return error(404, 10008, "Unknown Message")
        return json_response(rec.original)

    async def edit_message(self, request: web.Request) -> web.Response:
        checked = await self._webhook_write(request, "edit")
        if isinstance(checked, web.Response):
            return checked
        rec, body = checked
        rec.edits.append((time.monotonic(), body))
        mid = request.match_info["mid"]
        target = rec.original if mid == "@original" else next(
            (m for m in rec.followups if m["id"] == mid), None)
        if target is None:
            return error(404, 10008, "Unknown Message")
        apply_edit(target, body)
        if target is rec.original:
            rec.original_pending = False
        rec.changed.set()
        return json_response(target)

    async def delete_message(self, request: web.Request) -> web.Response:
        rec = self._acked(request)
        if rec is None or rec.original is None:
            return error(404, 10008, "Unknown Message")
        rec.original, rec.original_pending = None, False
        rec.changed.set()
        return web.Response(status=204)

    # --- REST: channel messages (replies to mentions) -----------------------------------------
    async def channel_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (bad := self._check(body, "channel message")) is not None:
            return bad
        msg = self._message(body, ephemeral=False, channel_id=request.match_info["cid"])
        msg["type"] = 19 if body.get("message_reference") else 0
        msg["message_reference"] = body.get("message_reference")
        self.channel_messages.append(msg)
        self.channel_writes[msg["id"]] = [(time.monotonic(), body)]
        return json_response(msg)

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (bad := self._check(body, "channel message edit")) is not None:
            return bad
        mid = request.match_info["mid"]
        target = next((m for m in self.channel_messages if m["id"] == mid
                       and m["channel_id"] == request.match_info["cid"]), None)
        if target is None:
            return error(404, 10008, "Unknown Message")
        self.channel_writes[mid].append((time.monotonic(), body))
        apply_edit(target, body)
        return json_response(target)

    async def typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    def user_message(self, content: str, *, user_id: int = 42, mention_bot: bool = False,
                     reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """A MESSAGE_CREATE payload from a member (send it with ``dispatch``)."""
        msg = self._message({"content": content}, ephemeral=False)
        msg.update(type=19 if reply_to else 0, author=self.user(user_id), webhook_id=None,
                   application_id=None, guild_id=self.guild_id,
                   member={k: v for k, v in self.member(user_id).items() if k != "user"},
                   mentions=[self.bot_user] if mention_bot else [])
        if reply_to:
            msg["message_reference"] = {"message_id": reply_to["id"],
                                        "channel_id": reply_to["channel_id"],
                                        "guild_id": self.guild_id}
            msg["referenced_message"] = reply_to
        return msg
