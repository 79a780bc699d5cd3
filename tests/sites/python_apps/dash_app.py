"""A small real Dash app for the browser tests of form fields: a text input that updates on
every keystroke, one that updates on Enter or leaving it (``debounce=True``), a checklist, a
dropdown and a slider with its number box, and one callback that writes what the server received
into ``#server-state`` (JSON), so a test reads the app's state as its server sees it.

Run it by hand with ``python -m tests.sites.python_apps.dash_app HOST PORT``.
"""

from __future__ import annotations

import json
import sys

from dash import Dash, Input, Output, dcc, html

app = Dash(__name__, title="Dash form")
app.layout = html.Div(
    [
        dcc.Input(id="name", type="text", value=""),
        dcc.Input(id="note", type="text", value="", debounce=True),
        dcc.Checklist(id="agree", options=[{"label": "I agree", "value": "yes"}], value=[]),
        dcc.Dropdown(id="city", options=["rome", "paris", "oslo"], value="rome", clearable=False),
        dcc.Slider(id="level", min=0, max=10, step=1, value=5),
        html.Pre(id="server-state"),
    ]
)


@app.callback(
    Output("server-state", "children"),
    Input("name", "value"),
    Input("note", "value"),
    Input("agree", "value"),
    Input("city", "value"),
    Input("level", "value"),
)
def show(name: str, note: str, agree: list[str], city: str, level: int) -> str:
    """What the server was sent, as one line of JSON."""
    values = {"name": name, "note": note, "agree": agree, "city": city, "level": level}
    return json.dumps(values, sort_keys=True)


if __name__ == "__main__":
    app.run(host=sys.argv[1], port=int(sys.argv[2]), debug=False)
