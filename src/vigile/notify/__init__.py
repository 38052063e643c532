"""vigile.notify: the CNIL notification draft, one letter per affected person, e-mails.

    write_cnil(store, incident_id, out_dir)                 # cnil-notification-vN.{json,pdf}
    render_letters(store, incident_id, out_dir, sender)     # letters-NNNNN.pdf + manifest.csv
    send_emails(store, incident_id, "smtp://host:25", sender, "dpo@lab.fr")
    mark_letters(store, incident_id, "handed_over", batches={1, 2})

Letters and e-mails are renderings of each person's exposure record: the words of
`vigile.wording.describe`, the portal's address and the person's one code. Every letter and
e-mail has a state in the case's notification log (planned, rendered, handed_over, sent,
bounced, returned); one run at a time holds the step's lease, runs resume from the log and
never produce a letter twice nor change a code.
"""

from ..case import EMAIL, LETTER
from .address import AddressBlock, AddressError, address_block
from .cnil import CNIL_SCHEMA, TODO, draft_cnil, write_cnil
from .email import EmailRun, chose_email, send_emails
from .letters import (
    DEFAULT_BATCH_SIZE,
    LetterRun,
    OutputFolderError,
    mark_letters,
    reference,
    render_letters,
)
from .sender import Sender, SenderError, sender_for
from .typst_render import RenderError

__all__ = [
    "CNIL_SCHEMA",
    "DEFAULT_BATCH_SIZE",
    "EMAIL",
    "LETTER",
    "TODO",
    "AddressBlock",
    "AddressError",
    "EmailRun",
    "LetterRun",
    "OutputFolderError",
    "RenderError",
    "Sender",
    "SenderError",
    "address_block",
    "chose_email",
    "draft_cnil",
    "mark_letters",
    "reference",
    "render_letters",
    "send_emails",
    "sender_for",
    "write_cnil",
]
