"""The aiohttp server every web surface shares: routes, health and readiness."""
