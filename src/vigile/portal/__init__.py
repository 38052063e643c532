"""vigile.portal: the official "am I affected?" service, which tells a stranger nothing.

With the code from the letter a person sees their own page, downloads a signed
attestation and may opt in to e-mail; without a code, an identity form queues
a request answered through the channel already on file, and the page is the
same for everyone.
"""

from .app import Portal, create_app
from .config import PortalConfig

__all__ = ["Portal", "PortalConfig", "create_app"]
