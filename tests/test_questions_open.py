from __future__ import annotations

import re

import pytest

from tcpnb.course import questions_open as qo
from tcpnb.course.quiz import NumberQuestion, Question

from .conftest import check_question

ALL = list(qo.TARGETS)


def test_every_question_is_indexed_once() -> None:
    listed = [q for questions in qo.NOTEBOOKS.values() for q in questions]
    assert sorted(f.__name__ for f in listed) == sorted(f.__name__ for f in ALL)
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_targets_name_real_misconceptions(make) -> None:  # type: ignore[no-untyped-def]
    assert all(re.fullmatch(r"M([1-9]|1[0-7])", m) for m in qo.TARGETS[make])


@pytest.mark.parametrize("make", [f for f in ALL if isinstance(f(), Question)],
                         ids=lambda f: f.__name__)
def test_one_right_answer_and_wrong_ones_explain(make) -> None:  # type: ignore[no-untyped-def]
    check_question(make(), cite=r"RFC|§|Figure|notebook")


@pytest.mark.parametrize("make", [f for f in ALL if isinstance(f(), NumberQuestion)],
                         ids=lambda f: f.__name__)
def test_number_questions_know_their_typical_mistakes(make) -> None:  # type: ignore[no-untyped-def]
    q = make()
    assert q.check(q.answer).correct
    assert q.mistakes and q.answer not in q.mistakes
    for wrong, message in q.mistakes.items():
        verdict = q.check(wrong)
        assert not verdict.correct and verdict.message == message


def test_the_questions_agree_with_the_simulator() -> None:
    from tcpnb import analysis, scenarios

    assert qo.connect_time_two_losses().check(
        analysis.connect_time(scenarios.syn_lost(times=2, delay=0.1))).correct
    synack = scenarios.three_way_handshake().segments("B")[0]
    assert qo.synack_ack_number().check(synack.ack).correct
    data_ack = [s for s in scenarios.three_way_handshake(data=10).segments("B")][-1]
    assert qo.data_ack_number().check(data_ack.ack).correct
    from tcpnb.course import stale
    check = stale.isn_window("clock", 1.0)
    assert qo.clock_shift().check(check.new_isn - check.old_isn).correct


def test_widgets_build() -> None:
    for make in ALL:
        assert make().widget().children
