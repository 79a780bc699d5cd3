"""Where the demo site shipped with the server extension lives."""

DEMO_HOST = "demo.cobrowse.invalid"  # .invalid never resolves: only the proxy can serve it
DEMO_URL = f"https://{DEMO_HOST}/"
