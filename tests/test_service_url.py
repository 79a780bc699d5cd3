"""A single-user server whose rooms are the JupyterHub service's (c.CoBrowse.service_url or
COBROWSE_SERVICE_URL): its session endpoint sends widgets there, and its kernels reach the
service's rooms directly when told where, else through their views."""

from __future__ import annotations

import json
import os

import pytest

from cobrowse_widget._shared import KERNEL_ROOMS

from .conftest import server_config

SERVICE = "/services/cobrowse/"
KERNELS = "http://127.0.0.1:10101/services/cobrowse/"


@pytest.fixture
def jp_server_config(request, monkeypatch):
    monkeypatch.setenv(KERNEL_ROOMS, "ws://before/")  # restored after the test
    return server_config(**getattr(request, "param", {}))


@pytest.mark.parametrize(
    "jp_server_config", [{"service_url": SERVICE, "service_kernel_url": KERNELS}], indirect=True
)
async def test_widgets_and_kernels_are_sent_to_the_service(jp_fetch, jp_server_config):
    answer = await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "p"}')
    assert json.loads(answer.body) == {"room": "p", "service": SERVICE}  # no session here
    assert (
        os.environ[KERNEL_ROOMS]
        == "ws://127.0.0.1:10101/services/cobrowse/cobrowse/api/kernel-rooms/"
    )


@pytest.mark.parametrize("jp_server_config", [{"service_url": SERVICE}], indirect=True)
async def test_kernels_told_nowhere_sync_through_their_views(jp_fetch, jp_server_config):
    await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "p"}')
    assert KERNEL_ROOMS not in os.environ  # not this server's rooms: the pass is the service's


async def test_without_a_service_rooms_stay_on_this_server(jp_fetch, jp_server_config):
    answer = json.loads(
        (await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "p"}')).body
    )
    assert "service" not in answer and answer["prefix"]
    assert os.environ[KERNEL_ROOMS].endswith("/cobrowse/api/kernel-rooms/")


def test_the_environment_names_the_service(monkeypatch):
    from jupyter_ext.app import CoBrowse

    monkeypatch.setenv("COBROWSE_SERVICE_URL", "/services/cobrowse")
    assert CoBrowse().service_url == SERVICE  # a trailing slash added
    with pytest.raises(Exception, match="neither a path nor an http"):
        CoBrowse(service_url="javascript:alert(1)")
