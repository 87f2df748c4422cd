"""The Web API methods this adapter calls and the bot scopes each needs; ``manifest.yml`` must grant them."""

from __future__ import annotations

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "conversations.open": ("im:write",),
    "conversations.history": ("channels:history", "groups:history"),
    "users.info": ("users:read",),
    "users.conversations": ("channels:read", "groups:read"),
    "views.open": (),
    "views.publish": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "oauth.v2.access": (),
}

# The slash command itself needs `commands`; the rest follows from the methods above.
BOT_SCOPES: tuple[str, ...] = tuple(sorted({"commands", *(s for scopes in METHOD_SCOPES.values() for s in scopes)}))
