"""The bot's features, one ``commands.Cog`` per module, each loaded by its ``setup(bot)``."""
