"""Search words that look like a weekday or "<month-prefix> <n>" are taken as a date."""


def test_sun_pharma_is_a_search(assistant):
    reply = assistant.agenda(text="sun pharma")
    print(reply.text)
    assert "Sunday" not in reply.text


def test_decision_3_is_a_search(assistant):
    reply = assistant.agenda(text="decision 3")
    print(reply.text)
    assert "day 1, Thursday 3 December" not in reply.text
