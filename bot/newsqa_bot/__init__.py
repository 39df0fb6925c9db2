"""The newsqa Discord bot: slash commands over the engine (see README "Discord bot")."""
