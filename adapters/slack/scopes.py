"""The Web API methods and events this adapter uses and the bot scopes each needs; ``manifest.yml`` grants them."""

from __future__ import annotations

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "conversations.open": ("im:write",),
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.canvases.create": ("canvases:write",),
    "canvases.sections.lookup": ("canvases:read",),
    "canvases.edit": ("canvases:write",),
    "users.info": ("users:read",),
    "users.conversations": ("channels:read", "groups:read"),
    "views.open": (),
    "views.publish": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "oauth.v2.access": (),
}

# The Events API events the app subscribes to, and the scope Slack requires to deliver each.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_uninstalled": (),
    "tokens_revoked": (),
    "member_left_channel": ("channels:read", "groups:read"),  # someone left a channel: no longer its people
    "message.im": ("im:history",),  # messages people write to the bot in its Messages tab
}

# The slash command and the message shortcut need `commands`; the rest follows from the methods and events.
BOT_SCOPES: tuple[str, ...] = tuple(
    sorted({"commands", *(s for scopes in (*METHOD_SCOPES.values(), *EVENT_SCOPES.values()) for s in scopes)})
)
