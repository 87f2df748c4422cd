"""Domain rules as plain, synchronous functions over plain data."""
