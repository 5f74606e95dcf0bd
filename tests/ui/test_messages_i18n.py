"""What comes from below the UI, said by its code in the installed language: every notice code
has a sentence that takes its parameters (English as the core writes it, and Polish), and the
registration's last problem is translated from its code and failure reason, the SIP status kept
as it came."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from communicator.core.dialing import DialPlan, parse_dial_string
from communicator.core.errors import InvalidDialStringError
from communicator.core.links import LinkError, parse_link
from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.core.notices import Notice, NoticeCode
from communicator.core.registration import (
    RegistrationMachine,
    RegistrationPolicy,
    RegistrationStatus,
    SignIn,
    Tick,
)
from communicator.core.registration_values import (
    FailureReason,
    ProblemCode,
    RegistrationFailure,
    RegistrationProblem,
    RegistrationState,
)
from communicator.ui.i18n import install_translators
from communicator.ui.messages_i18n import message_text, notice_sentence, registration_problem_text
from tests.ui.test_translations import build_translations

PARAMS = {"caller": "Alice", "line": "2", "sip": " (488)", "detail": "503 Service Unavailable"}
PARAMS |= {"target": "sip:1002@pbx", "seconds": "30", "transport": "UDP", "next": "TCP"}
PARAMS |= {"dial": "'12a'", "min": "2", "max": "6", "lines": "4", "link": "sip:x"}


@pytest.fixture
def polish(qapp: Any) -> Iterator[None]:
    build_translations()
    assert install_translators("pl", qapp) == "pl"
    try:
        yield
    finally:
        install_translators("en", qapp)


def coded(code: NoticeCode) -> Message:
    names = [n for n in PARAMS if "{" + n + "}" in notice_sentence(code)]
    notice = Notice.coded("English", code, **{n: PARAMS[n] for n in names})
    return Message(MessageLevel.INFO, MessageSource.PHONE, notice.text, notice.code, notice.params)


def lost(problem: RegistrationProblem, detail: str = "detail") -> RegistrationStatus:
    return RegistrationStatus(
        RegistrationState.RETRYING, None, problem.failure, None, True, "lost", detail, problem
    )


def test_every_notice_code_has_an_english_sentence_with_its_parameters(qapp: Any) -> None:
    install_translators("en", qapp)
    for code in NoticeCode:
        text = message_text(coded(code))
        assert "{" not in text and text != "English", code


def test_every_notice_code_speaks_polish(polish: None, qapp: Any) -> None:
    install_translators("en", qapp)
    english = {code: notice_sentence(code) for code in NoticeCode}
    install_translators("pl", qapp)
    for code in NoticeCode:
        text = message_text(coded(code))
        assert "{" not in text and text != "English", code
        assert notice_sentence(code) != english[code], f"{code} is not translated"
    said = message_text(coded(NoticeCode.HOLD_FAILED))
    assert said == "Nie udało się wstrzymać połączenia na linii 2 (488): rozmowa nadal trwa"


@pytest.mark.parametrize(
    "dial", ["", "12a!", "sip:", "sip:@pbx", "sip:anna@", "tel:12a", "1", "+0123", "+12", "0" * 20]
)
def test_a_refused_dial_string_reads_in_english_as_the_core_wrote_it(dial: str, qapp: Any) -> None:
    install_translators("en", qapp)
    with pytest.raises(InvalidDialStringError) as refused:
        parse_dial_string(dial, DialPlan(domain="pbx.example.com", country_code="48"))
    said = refused.value.notice
    assert said.code is not None, str(refused.value)
    message = Message(MessageLevel.WARNING, MessageSource.AGENT, said.text, said.code, said.params)
    assert message_text(message) == str(refused.value)


LINKS = [
    *("sip:", "sip:@pbx.example.com", "sip:20 02@pbx.example.com", "sip:2002@"),
    *("sip:2002@pbx.example.com:99999", "sip:2002@pbx.example.com;=", "tel:", "tel:call-me"),
    *("tel:+4420;ext=12", "callto:", "callto:!!!", "sip:2002@pbx\nVia: evil"),
    *("sip:" + "1" * 600 + "@pbx.example.com", "http://crm.example/"),
]


@pytest.mark.parametrize("link", LINKS)
def test_a_refused_call_link_reads_as_the_core_wrote_it_and_in_polish(link: str, qapp: Any) -> None:
    with pytest.raises(LinkError) as refused:
        parse_link(link)
    said = refused.value.notice
    assert said.code is not None
    message = Message(MessageLevel.WARNING, MessageSource.AGENT, said.text, said.code, said.params)
    install_translators("en", qapp)
    assert message_text(message) == str(refused.value)
    build_translations()
    assert install_translators("pl", qapp) == "pl"
    try:
        polish = message_text(message)
    finally:
        install_translators("en", qapp)
    assert polish != str(refused.value)
    assert dict(said.params)["link"] in polish
    assert "link" in polish.lower()  # "Link do połączenia ...", "... nie jest linkiem ..."


def test_a_message_without_a_code_is_shown_as_it_came(polish: None) -> None:
    message = Message(MessageLevel.WARNING, MessageSource.AUDIO, "Der Lautsprecher fehlt")
    assert message_text(message) == "Der Lautsprecher fehlt"


def test_the_registration_problem_speaks_polish_by_its_code(polish: None) -> None:
    rejected = RegistrationFailure(FailureReason.BAD_CREDENTIALS, 403, "Forbidden", 0.0)
    assert registration_problem_text(lost(RegistrationProblem(ProblemCode.FAILED, rejected))) == (
        "Nieprawidłowa nazwa użytkownika lub hasło (403 Forbidden); "
        "zaloguj się ponownie z prawidłowym hasłem"
    )
    silent = RegistrationFailure(FailureReason.TIMEOUT, None, "no answer within 10 s", 0.0, 10.0)
    assert registration_problem_text(lost(RegistrationProblem(ProblemCode.FAILED, silent))) == (
        "Serwer SIP nie odpowiada (brak odpowiedzi w ciągu 10 s)"
    )
    missed = RegistrationProblem(ProblemCode.REFRESH_MISSED, seconds=30.0)
    assert registration_problem_text(lost(missed)) == (
        "Brak udanego odświeżenia rejestracji w ciągu 30 s (serwer SIP nie odpowiada)"
    )
    removed = RegistrationProblem(ProblemCode.REMOVED)
    assert registration_problem_text(lost(removed)) == "Rejestracja została usunięta"


def test_the_core_gives_its_detail_a_code_and_english_stays_as_the_core_wrote_it(
    qapp: Any,
) -> None:
    install_translators("en", qapp)
    machine = RegistrationMachine(RegistrationPolicy(jitter=0.0))
    machine.handle(SignIn(), 0.0)
    machine.handle(Tick(), 100.0)  # the attempt got no answer
    status = machine.status
    assert status.problem is not None and status.problem.code is ProblemCode.FAILED
    assert registration_problem_text(status) == status.detail
