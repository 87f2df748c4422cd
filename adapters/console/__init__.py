"""The console surface: the bot as a chat in the terminal."""
