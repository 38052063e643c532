"""vigile.notify: the CNIL notification draft, one letter per affected person, e-mails.

    write_cnil(store, incident_id, out_dir)                 # cnil-notification-vN.{json,pdf}
    render_letters(store, incident_id, out_dir, sender)     # letters-NNNNN.pdf + manifest.csv
    send_emails(store, incident_id, "smtp://host:25", sender, "dpo@lab.fr")
    mark_letters(store, incident_id, "handed_over", batches={1, 2})

Every letter and e-mail has a state in the case's notification log (rendered, handed_over,
sent, bounced, returned); runs resume from the log and never produce a letter twice.
"""

from .address import AddressBlock, AddressError, address_block
from .cnil import CNIL_SCHEMA, TODO, draft_cnil, write_cnil
from .email import EmailRun, chose_email, send_emails
from .letters import DEFAULT_BATCH_SIZE, LetterRun, mark_letters, reference, render_letters
from .log import EMAIL, LETTER
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
