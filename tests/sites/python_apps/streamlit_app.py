"""A small real Streamlit app for the browser tests of form fields: a text input, a checkbox, a
select box and a number input, and ``st.write`` of the values the script run received
(``server-state {...}``), so a test reads the app's state as its server sees it after a rerun.

Run it by hand with ``streamlit run tests/sites/python_apps/streamlit_app.py``.
"""

import json

import streamlit as st

values = {
    "name": st.text_input("Name"),
    "agree": st.checkbox("I agree"),
    "city": st.selectbox("City", ["rome", "paris", "oslo"]),
    "count": st.number_input("Count", value=1),
}
st.write("server-state " + json.dumps(values, sort_keys=True))
