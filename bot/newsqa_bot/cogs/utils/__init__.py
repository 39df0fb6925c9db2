"""What the cogs share (``interactions``); no cog imports another."""
