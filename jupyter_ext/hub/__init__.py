"""The JupyterHub-managed service: the extension's room hub and proxy, shared by every
single-user server of a hub (``cobrowse-service``), behind JupyterHub's OAuth."""

from ._app import CoBrowseService, main
from ._identity import hub_participant, may_lead

__all__ = ["CoBrowseService", "hub_participant", "main", "may_lead"]
