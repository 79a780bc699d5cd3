"""What the kernel's widget, the server extension and (later) the hub service share: the room-name
rule, the demo site's address and the bounds on notes. Importable without anywidget, ipywidgets
or pycrdt, so that the server extension never loads the widget's dependencies."""

from __future__ import annotations

import re

ROOM_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # what the widget and the server accept

DEMO_HOST = "demo.cobrowse.invalid"  # .invalid never resolves: only the proxy can serve it
DEMO_URL = f"https://{DEMO_HOST}/"

# Set by the server extension for the kernels it starts: the websocket base URL of its rooms for
# kernels (a view's pass lets the kernel's replica join its room there).
KERNEL_ROOMS = "COBROWSE_KERNEL_ROOMS"

# Where the JupyterHub co-browsing service is, for browsers and for kernels (c.CoBrowse.service_url
# and service_kernel_url): set by the hub for single-user servers.
SERVICE_URL = "COBROWSE_SERVICE_URL"
SERVICE_KERNEL_URL = "COBROWSE_SERVICE_KERNEL_URL"

# Notes, strokes and highlights in one room, and a note's text (js/src/protocol/limits.js).
MAX_NOTES = 200
MAX_NOTE_TEXT = 500
MAX_SELECTOR = 512  # characters of a CSS selector given from Python (a highlight's, a rule's)
MAX_SELECTORS = 64  # privacy selectors in one rule list
MAX_STEP_TITLE = 200  # characters of a tutorial step's title (cb.step), and of its text
MAX_STEP_TEXT = 2000
MAX_FIELD_TEXT = 32768  # characters of a text field's value (cb.fill)
MAX_CHOICES = 256  # values of a multiple select
ANSWER_BUDGET = 8 * 1024  # characters of one participant's own fields in practice mode
