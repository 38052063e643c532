"""E-mails over SMTP to a local aiosmtpd server: plain text, opt-ins and chosen channel,
logged with their intent, once each, resumable, same code as the letter."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from notify_case import PORTAL, REFUSED, stand_in_code, stand_in_issue_code

from vigile.case import EMAIL, LETTER, AffectedPerson, open_store
from vigile.case.codes import find_person
from vigile.case.contacts import answer_request, queue_request, save_email_optin
from vigile.notify import mark_letters, render_letters, send_emails, sender_for
from vigile.notify.email import SmtpUrlError, message_id, smtp_params
from vigile.wording import describe

CODE = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")


def _send(url, key, iid, smtp_url, from_addr="dpo@labo-exemple.test", **kw):
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid))
        kw.setdefault("issue_code", stand_in_issue_code)
        return send_emails(store, iid, smtp_url, snd, from_addr, today=date(2021, 3, 3), **kw)


def _body(msg) -> str:
    return msg.get_payload(decode=True).decode("utf-8")


def _chosen(url, key, iid) -> dict[str, str]:
    with open_store(url, key=key) as store:
        return {
            store.person_ref(p.patient_id): p.identity["email"]
            for p in store.affected(iid)
            if p.identity.get("channel") == "email"
        }


def test_emails_sent_logged_and_resumed(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    chosen = _chosen(url, key, iid)
    assert chosen, "fixture must hold persons who chose e-mail"
    first = _send(url, key, iid, smtp_url, limit=2)
    assert first.sent + first.bounced == 2
    rest = _send(url, key, iid, smtp_url)
    assert rest.already == 2
    refused = sum(a == REFUSED for a in chosen.values())
    assert refused == 1
    assert first.sent + rest.sent == len(chosen) - refused
    assert first.bounced + rest.bounced == refused
    delivered = [to for tos, _ in inbox.messages for to in tos]
    assert sorted(delivered) == sorted(a for a in chosen.values() if a != REFUSED)  # once each
    with open_store(url, key=key) as store:
        states = store.notification_states(iid, EMAIL)
        entries = store.notification_entries(iid, EMAIL)
    assert set(states) == set(chosen)
    assert set(states.values()) <= {"sent", "bounced"}
    # Each message's intent was logged before it was sent, with its Message-ID.
    planned = {ref: d["message_id"] for ref, s, d in entries if s == "planned"}
    assert set(planned) == set(chosen)
    ids = {msg["Message-ID"] for _, msg in inbox.parsed()}
    assert ids <= set(planned.values())
    # A third run has nothing left to send.
    assert _send(url, key, iid, smtp_url).sent == 0


def test_email_is_the_letter_in_plain_text(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    _send(url, key, iid, smtp_url, limit=1)
    ((to,), msg) = inbox.parsed()[0]
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    body = _body(msg)
    flat = " ".join(body.split())
    with open_store(url, key=key) as store:
        ref, person = next(
            (store.person_ref(p.patient_id), p)
            for p in store.affected(iid)
            if p.identity.get("email") == to
        )
    assert f"Votre code personnel : {stand_in_code(ref)}" in flat
    assert f"tapez vous-même l'adresse {PORTAL}" in flat
    words = describe(person.categories, person.password)
    for w in (*words.exposed, *words.not_exposed, *words.advice_texts()):
        assert " ".join(w.split()) in flat
    assert "02 99 12 34 56" in body and "CNIL" in body
    assert "<a " not in body and "href" not in body
    assert msg["Message-ID"] == message_id(iid, ref, "labo-exemple.test")
    assert msg["Message-ID"].startswith(f"<{iid}-")


def test_optins_get_exactly_one_email_each_at_the_address_given(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    chosen = _chosen(url, key, iid)
    with open_store(url, key=key) as store:
        refs = [store.person_ref(p.patient_id) for p in store.affected(iid)]
        not_chosen = [r for r in refs if r not in chosen][:3]
        also_chosen = next(iter(chosen))
        optins = {r: f"portail{i}@exemple.test" for i, r in enumerate([*not_chosen, also_chosen])}
        for r, address in optins.items():
            save_email_optin(store, iid, r, address)
    run = _send(url, key, iid, smtp_url)
    expected = {r: a for r, a in chosen.items() if a != REFUSED} | optins
    delivered = Counter(to for tos, _ in inbox.messages for to in tos)
    assert delivered == Counter(expected.values())  # one each, the opt-in address first
    assert chosen[also_chosen] not in delivered
    assert run.sent == len(expected)
    assert _send(url, key, iid, smtp_url).sent == 0


def test_temporary_refusal_is_retried_with_the_same_message_and_code(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    chosen = _chosen(url, key, iid)
    busy_ref, busy = next((r, a) for r, a in chosen.items() if a != REFUSED)
    inbox.busy.add(busy)
    first = _send(url, key, iid, smtp_url, issue_code=None)
    assert first.deferred == 1
    with open_store(url, key=key) as store:
        assert store.notification_states(iid, EMAIL)[busy_ref] == "planned"
        ((planned,),) = [[d for r, s, d in store.notification_entries(iid, EMAIL) if r == busy_ref]]
    inbox.busy.clear()
    # Resumed from another sender address: the message keeps the Message-ID of its intent.
    again = _send(url, key, iid, smtp_url, "dpo@autre-domaine.test", issue_code=None)
    assert (again.sent, again.deferred, again.bounced) == (1, 0, 0)
    (msg,) = [m for tos, m in inbox.parsed() if busy in tos]
    assert msg["Message-ID"] == planned["message_id"]
    with open_store(url, key=key) as store:
        code = CODE.search(" ".join(_body(msg).split())).group(1)
        assert find_person(store, iid, code) == busy_ref
        assert store.notification_states(iid, EMAIL)[busy_ref] == "sent"


def test_email_carries_the_letters_code(case, smtp, tmp_path):
    """An e-mail run never changes or voids the code printed in the letter."""
    from pypdf import PdfReader

    url, key, iid = case
    inbox, smtp_url = smtp
    with open_store(url, key=key) as store:
        render_letters(store, iid, tmp_path / "l", sender_for(store.incident_by_id(iid)))
    pages = PdfReader(tmp_path / "l" / "letters-00001.pdf").pages
    letter_codes = {CODE.search(" ".join(p.extract_text().split())).group(1) for p in pages}
    _send(url, key, iid, smtp_url, issue_code=None)
    mail_codes = {CODE.search(" ".join(_body(m).split())).group(1) for _, m in inbox.parsed()}
    assert mail_codes and mail_codes <= letter_codes
    with open_store(url, key=key) as store:
        assert all(find_person(store, iid, c) for c in letter_codes)


def test_request_answered_by_email_is_sent_once(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    chosen = _chosen(url, key, iid)
    _send(url, key, iid, smtp_url)
    n = len(inbox.messages)
    with open_store(url, key=key) as store:
        ref = next(r for r, a in chosen.items() if a != REFUSED)
        rid = queue_request(store, iid, {"last_name": "X"})
        assert answer_request(store, iid, rid, "email", person_ref=ref)
    run = _send(url, key, iid, smtp_url)
    assert (run.sent, run.requests) == (1, 1)
    (to,), msg = inbox.parsed()[n]
    assert to == chosen[ref]
    assert "Ce message vous est envoyé à votre demande." in _body(msg)
    assert msg["Message-ID"] == message_id(iid, ref, "labo-exemple.test", rid)
    assert _send(url, key, iid, smtp_url).sent == 0
    assert len(inbox.messages) == n + 1


def test_minors_email_goes_to_representatives(tmp_path, key, smtp):
    inbox, smtp_url = smtp
    url = f"sqlite:///{tmp_path / 'c.db'}"
    ident = {"last_name": "Roux", "first_name": "Léa", "email": "parents@exemple.test",
             "channel": "email"}  # fmt: skip
    with open_store(url, key=key) as store:
        iid = store.new_incident("i", datetime(2021, 2, 23, tzinfo=UTC), controller="Lab",
                                 dpo_contact="dpo@labo-exemple.test 02 99 12 34 56")  # fmt: skip
        store.update_settings(iid, portal_url=PORTAL)
        store.replace_affected(
            iid,
            [AffectedPerson("P1", 1, "nir", frozenset({"nir", "lab_test"}), ident, minor=True)],
            0,
        )
    _send(url, key, iid, smtp_url)
    ((_, msg),) = inbox.parsed()
    body = " ".join(_body(msg).split())
    assert body.startswith("Ce message est adressé aux représentants légaux de Léa ROUX.")
    assert "Pour votre enfant, ce fichier contenait" in body
    assert "son numéro de sécurité sociale" in body and "Pour vous" not in body
    assert "Le code personnel de votre enfant :" in body
    assert msg["Subject"].endswith("des données personnelles de votre enfant")


def test_smtp_url():
    p = smtp_params("smtps://user:p%40ss@mail.example:2465?starttls=0")
    assert (p["ssl"], p["host"], p["port"], p["user"], p["password"]) == (
        True, "mail.example", 2465, "user", "p@ss",
    )  # fmt: skip
    with pytest.raises(SmtpUrlError) as e:
        smtp_params("http://user:secret@host")
    assert "secret" not in str(e.value)


def test_late_bounce_is_marked_by_reference(case, smtp):
    url, key, iid = case
    _, smtp_url = smtp
    _send(url, key, iid, smtp_url, limit=1)
    with open_store(url, key=key) as store:
        ((ref, _, detail),) = [e for e in store.notification_entries(iid, EMAIL) if e[1] == "sent"]
        assert mark_letters(store, iid, "bounced", references={detail["ref"]}, channel=EMAIL) == 1
        assert store.notification_states(iid, EMAIL) == {ref: "bounced"}
        assert store.notification_entries(iid, LETTER) == []
