"""``python -m jupyter_ext.hub``: the same as the ``cobrowse-service`` command."""

from ._app import main

main()
