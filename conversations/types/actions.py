"""Action ids: one dotted constant per button or form, shared by every adapter.

Adapters put these in the platform's action id field (Slack `action_id`, an Adaptive Card's
`data.action`) and the engine dispatches on them, so renaming one is a one-line change here.
"""

ENROL_ROLE = "enrol.role"  # value: mentor | mentee | either
ENROL_LEAVE = "enrol.leave"
ENROL_REJOIN = "enrol.rejoin"
ENROL_RESUME = "enrol.resume"
HELP_COMMAND = "help.command"  # value: a command to run, e.g. "status"
PRIVACY_FORGET = "privacy.forget"  # value: "confirm" | "cancel"
# An admin's `forget EMAIL`. value: "confirm:PERSON" | "cancel"
PRIVACY_FORGET_PERSON = "privacy.forget_person"
CONSENT_ACCEPT = "consent.accept"  # value: pair id
CONSENT_DECLINE = "consent.decline"  # value: pair id
# A whole enrolment form (Slack modal, Teams card). value: JSON object
# {"role": "mentor"|"mentee"|"either", "teaches": [topic…], "learns": [topic…], "timezone": IANA}
# (every key optional; topics are catalogue topic names).
ENROL_FORM = "enrol.form"
MEETING_MET = "meeting.met"  # value: "PAIR:SESSION"
MEETING_RESCHEDULED = "meeting.rescheduled"  # value: "PAIR:SESSION:DAYS" (moved by DAYS)
MEETING_MISSED = "meeting.missed"  # value: "PAIR:SESSION"
PULSE_RATE = "pulse.rate"  # value: "PAIR:SESSION:RATING" (1-5)
PULSE_SKIP = "pulse.skip"  # value: "PAIR:SESSION" (no comment this time)
FOLLOWUP_TRIED = "followup.tried"  # value: "PAIR:SESSION:yes|no|later"
CLOSING_ANSWER = "closing.answer"  # value: "PAIR:QUESTION:yes|no" (again, reciprocal)
CHECKIN_ANSWER = "checkin.answer"  # value: "PAIR:great|ok|stuck" (the midpoint check-in)

ALL = frozenset(
    {
        ENROL_ROLE,
        ENROL_LEAVE,
        ENROL_REJOIN,
        ENROL_RESUME,
        HELP_COMMAND,
        PRIVACY_FORGET,
        CONSENT_ACCEPT,
        CONSENT_DECLINE,
        ENROL_FORM,
        MEETING_MET,
        MEETING_RESCHEDULED,
        MEETING_MISSED,
        PULSE_RATE,
        PULSE_SKIP,
        FOLLOWUP_TRIED,
        CLOSING_ANSWER,
        CHECKIN_ANSWER,
    }
)

# Added with the lifecycle (kept out of ALL's literal above for a readable diff).
MEETING_CANCELLED_BY = "meeting.cancelled_by"  # value: "PAIR:SESSION:me|partner|both|other"
PULSE_SHARE = "pulse.share"  # value: "PAIR:SESSION:yes|no" (comment readable anonymously)
ALL = ALL | {MEETING_CANCELLED_BY, PULSE_SHARE, PRIVACY_FORGET_PERSON}

# Issue 17, safe by design for the junior (docs/programme.md).
GROUND_RULES_AGREE = "ground_rules.agree"  # value: "PAIR" (this partner agrees the ground rules)
TOPIC_CHOOSE = "topic.choose"  # value: "PAIR:SESSION:PROMPT_KEY" (the junior picks the topic)
MISSED_REASON = "missed.reason"  # value: "PAIR:SESSION:diary|work|other|skip" (asked privately)
END_PAIRING = "pairing.end"  # value: "PAIR" (ask to confirm) | "PAIR:confirm" | "PAIR:cancel"
CONCERN_RAISE = "concern.raise"  # value: "PAIR" or "" (start a confidential concern)
ALL = ALL | {GROUND_RULES_AGREE, TOPIC_CHOOSE, MISSED_REASON, END_PAIRING, CONCERN_RAISE}
