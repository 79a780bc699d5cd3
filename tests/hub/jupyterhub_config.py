# The hub configuration of README's "Teaching with JupyterHub", as the end-to-end test runs it
# (tests/browser/hub.py fills in the ports and directories through the environment).
import os
import sys

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

# The co-browsing service: its rooms and proxy, behind the hub's OAuth.
c.JupyterHub.services = [
    {
        "name": "cobrowse",
        "url": f"http://127.0.0.1:{os.environ['COBROWSE_SERVICE_PORT']}",
        "command": [
            sys.executable,
            "-m",
            "jupyter_ext.hub",  # the same as the `cobrowse-service` command
            "--CoBrowse.presenter_groups=instructors",
        ],
        "oauth_no_confirm": True,  # no consent page: the widget signs in in a hidden frame
        # where it keeps its rooms (SQLite) and cookie secret: the test's own directory
        "environment": {"JUPYTER_DATA_DIR": os.environ["HUB_DIR"] + "/cobrowse"},
    },
]
# Every user may use the service (the scope HubOAuth checks).
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=cobrowse"]},
]
c.JupyterHub.load_groups = {
    "instructors": {"users": ["teacher"]},
    "students": {"users": ["ann", "ben"]},
}
# Single-user servers send their widgets to the service; their kernels reach it directly.
c.Spawner.environment = {
    "COBROWSE_SERVICE_URL": "/services/cobrowse/",
    "COBROWSE_SERVICE_KERNEL_URL": (
        f"http://127.0.0.1:{os.environ['COBROWSE_SERVICE_PORT']}/services/cobrowse/"
    ),
}

# The test's own hub: loopback ports, temporary directories, anyone logs in.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["HUB_PORT"])
c.JupyterHub.hub_port = int(os.environ["HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['HUB_PROXY_API_PORT']}"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.environ["HUB_HOMES"] + "/{username}"
c.Spawner.default_url = "/lab"
c.Spawner.args = [
    "--allow-root",  # CI runs as root
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
    "--LabApp.expose_app_in_browser=True",
]
c.JupyterHub.db_url = "sqlite:///" + os.environ["HUB_DIR"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = os.environ["HUB_DIR"] + "/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = os.environ["HUB_DIR"] + "/proxy.pid"
c.JupyterHub.cleanup_servers = True
