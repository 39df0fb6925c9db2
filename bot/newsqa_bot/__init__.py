"""The newsqa Discord bot: slash commands over the engine (layout: bot/README.md)."""
