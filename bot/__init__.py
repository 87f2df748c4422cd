"""Customer Moment: the platform-neutral core of the meeting ritual bot."""
