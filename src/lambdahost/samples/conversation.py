"""Voice and chat: Alexa skills and smart home skills, Amazon Lex bots (V1 and V2) and Amazon
Connect contact flows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from .common import REGION, Catalogue, Sample, arn, json_option, no_extras, now_iso

# Alexa Skills Kit: a custom skill's requests. IDs are given as the part after Amazon's prefix.


def alexa_skill(
    request_type: str, details: Callable[..., dict] = no_extras, attributes: dict | None = None
) -> Callable[..., dict]:
    """A request of ``request_type`` to a custom skill; ``details`` turns the sample's own options into
    the request's own fields (an intent and its slot, a reason); ``attributes`` are the session's."""

    def build(application_id: str, user_id: str, session_id: str, request_id: str, locale: str, **options: str) -> dict:
        application = {"applicationId": f"amzn1.ask.skill.{application_id}"}
        user = {"userId": f"amzn1.ask.account.{user_id}"}
        return {
            "version": "1.0",
            "session": {
                "new": request_type == "LaunchRequest",
                "sessionId": f"amzn1.echo-api.session.{session_id}",
                "application": application,
                "attributes": dict(attributes or {}),
                "user": user,
            },
            "context": {
                "System": {
                    "application": application,
                    "user": user,
                    "device": {"deviceId": "amzn1.ask.device.EXAMPLE", "supportedInterfaces": {}},
                    "apiEndpoint": "https://api.amazonalexa.com",
                    "apiAccessToken": "EXAMPLE",
                },
            },
            "request": {
                "type": request_type,
                "requestId": f"amzn1.echo-api.request.{request_id}",
                "timestamp": now_iso(millis=False),
                "locale": locale,
                **details(**options),
            },
        }

    return build


def alexa_intent(name: str, slot: str = "") -> Callable[..., dict]:
    """An IntentRequest's intent; the value of its one ``slot`` is the sample's one extra option."""

    def details(**value: str) -> dict:
        slots = {}
        if slot:
            (text,) = value.values()
            slots[slot] = {"name": slot, "value": text, "confirmationStatus": "NONE"}
        return {"dialogState": "COMPLETED", "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots}}

    return details


def _session_ended(reason: str) -> dict:
    return {"reason": reason}


# Alexa Smart Home (payload version 2): directives about a user's appliances.


def _smart_home_header(namespace: str, name: str) -> dict:
    return {"messageId": str(uuid.uuid4()), "name": name, "namespace": namespace, "payloadVersion": "2"}


def smart_home_control(name: str) -> Callable[..., dict]:
    def build(access_token: str, appliance_id: str) -> dict:
        return {
            "header": _smart_home_header("Alexa.ConnectedHome.Control", name),
            "payload": {
                "accessToken": access_token,
                "appliance": {"applianceId": appliance_id, "additionalApplianceDetails": {}},
            },
        }

    return build


def smart_home_discovery(access_token: str) -> dict:
    return {
        "header": _smart_home_header("Alexa.ConnectedHome.Discovery", "DiscoverAppliancesRequest"),
        "payload": {"accessToken": access_token},
    }


# Amazon Lex: a bot's code hook, with the intent's slots as a JSON option (null: not yet filled).


def lex_v1(bot: str, intent: str) -> Callable[..., dict]:
    def build(slots: str, user_id: str, input_transcript: str, invocation_source: str) -> dict:
        values: dict[str, str | None] = json_option(slots, "slots")
        return {
            "messageVersion": "1.0",
            "invocationSource": invocation_source,
            "userId": user_id,
            "inputTranscript": input_transcript,
            "sessionAttributes": {},
            "requestAttributes": None,
            "bot": {"name": bot, "alias": "$LATEST", "version": "$LATEST"},
            "outputDialogMode": "Text",
            "currentIntent": {
                "name": intent,
                "slots": values,
                "slotDetails": {
                    name: {"resolutions": [] if value is None else [{"value": value}], "originalValue": value}
                    for name, value in values.items()
                },
                "confirmationStatus": "None",
            },
        }

    return build


def _lex_v2_slot(value: str | None) -> dict | None:
    if value is None:
        return None
    return {"shape": "Scalar", "value": {"originalValue": value, "interpretedValue": value, "resolvedValues": [value]}}


def lex_v2(bot: str, intent: str) -> Callable[..., dict]:
    """A Lex V2 code hook. A dialog hook with a slot still empty carries Lex's proposed next step:
    to elicit that slot."""

    def build(slots: str, session_id: str, input_transcript: str, invocation_source: str, locale: str) -> dict:
        values: dict[str, str | None] = json_option(slots, "slots")
        missing = [name for name, value in values.items() if value is None]
        state = "InProgress" if missing else "ReadyForFulfillment"
        current = {
            "name": intent,
            "slots": {name: _lex_v2_slot(value) for name, value in values.items()},
            "state": state,
            "confirmationState": "None",
        }
        fallback = {"name": "FallbackIntent", "slots": {}, "state": state, "confirmationState": "None"}
        event: dict[str, Any] = {
            "messageVersion": "1.0",
            "invocationSource": invocation_source,
            "inputMode": "Text",
            "responseContentType": "text/plain; charset=utf-8",
            "sessionId": session_id,
            "inputTranscript": input_transcript,
            "bot": {
                "id": "ABCDEFGHIJ",
                "name": bot,
                "aliasId": "TSTALIASID",
                "aliasName": "TestBotAlias",
                "localeId": locale,
                "version": "DRAFT",
            },
            "interpretations": [
                {"intent": current, "nluConfidence": 1.0, "interpretationSource": "Lex"},
                {"intent": fallback, "interpretationSource": "Lex"},
            ],
            "sessionState": {
                "sessionAttributes": {},
                "activeContexts": [],
                "intent": current,
                "originatingRequestId": str(uuid.uuid4()),
            },
            "transcriptions": [
                {
                    "transcription": input_transcript,
                    "transcriptionConfidence": 1.0,
                    "resolvedContext": {"intent": intent},
                    "resolvedSlots": {},
                }
            ],
        }
        if missing and invocation_source == "DialogCodeHook":
            event["proposedNextState"] = {
                "dialogAction": {"type": "ElicitSlot", "slotToElicit": missing[0]},
                "intent": current,
            }
        return event

    return build


def connect_contact_flow(contact_id: str, phone_number: str, instance_id: str, parameters: str, region: str) -> dict:
    """A contact flow's Invoke AWS Lambda function block, on a phone call; ``parameters`` are the
    block's function input parameters (JSON)."""
    instance = arn("connect", region, f"instance/{instance_id}")
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": contact_id,
                "CustomerEndpoint": {"Address": phone_number, "Type": "TELEPHONE_NUMBER"},
                "InitialContactId": contact_id,
                "InitiationMethod": "INBOUND",
                "InstanceARN": instance,
                "LanguageCode": "en-US",
                "MediaStreams": {  # no live media streaming in the flow
                    "Customer": {"Audio": {"StartFragmentNumber": None, "StartTimestamp": None, "StreamARN": None}}
                },
                "PreviousContactId": contact_id,
                "Queue": {"ARN": f"{instance}/queue/{uuid.uuid4()}", "Name": "BasicQueue"},
                "SystemEndpoint": {"Address": "+12065550100", "Type": "TELEPHONE_NUMBER"},
            },
            "Parameters": json_option(parameters, "parameters"),
        },
    }


_ALEXA = {
    "application-id": "example-skill",
    "user-id": "example-user",
    "session-id": "example-session",
    "request-id": "example-request",
    "locale": "en-US",
}
_QUIZ = {"score": 1, "currentQuestionIndex": 2, "correctAnswerIndex": 2, "STATE": "_TRIVIAMODE"}


def _lex_v1_sample(bot: str, intent: str, slots: str, transcript: str) -> Sample:
    options = {"slots": slots, "user-id": "John", "input-transcript": transcript, "invocation-source": "DialogCodeHook"}
    return Sample(lex_v1(bot, intent), options, f"Lex (V1) {bot} bot, {intent} intent")


def _lex_v2_sample(bot: str, intent: str, slots: str, transcript: str, source: str = "DialogCodeHook") -> Sample:
    options = {
        "slots": slots,
        "session-id": "session-0001",
        "input-transcript": transcript,
        "invocation-source": source,
        "locale": "en_US",
    }
    return Sample(lex_v2(bot, intent), options, f"Lex V2 {bot} bot, {intent} intent")


SAMPLES: Catalogue = {
    "alexa-skills-kit": {
        "start-session": Sample(alexa_skill("LaunchRequest"), dict(_ALEXA), "a skill opened (LaunchRequest)"),
        "intent-answer": Sample(
            alexa_skill("IntentRequest", alexa_intent("AnswerIntent", "Answer"), _QUIZ),
            {**_ALEXA, "answer": "2"},
            "a quiz skill's AnswerIntent, mid-game",
        ),
        "intent-getnewfact": Sample(
            alexa_skill("IntentRequest", alexa_intent("GetNewFactIntent")), dict(_ALEXA), "a GetNewFactIntent"
        ),
        "intent-mycoloris": Sample(
            alexa_skill("IntentRequest", alexa_intent("MyColorIsIntent", "Color")),
            {**_ALEXA, "color": "blue"},
            "a MyColorIsIntent with its Color slot",
        ),
        "intent-recipe": Sample(
            alexa_skill("IntentRequest", alexa_intent("RecipeIntent", "Item")),
            {**_ALEXA, "item": "pancakes"},
            "a RecipeIntent with its Item slot",
        ),
        "end-session": Sample(
            alexa_skill("SessionEndedRequest", _session_ended),
            {**_ALEXA, "reason": "USER_INITIATED"},
            "a session ended (SessionEndedRequest)",
        ),
    },
    "alexa-smart-home": {
        "smart-home-control-turn-off-request": Sample(
            smart_home_control("TurnOffRequest"),
            {"access-token": "EXAMPLE-TOKEN", "appliance-id": "bedroom-lamp"},
            "a TurnOffRequest control directive",
        ),
        "smart-home-control-turn-on-request": Sample(
            smart_home_control("TurnOnRequest"),
            {"access-token": "EXAMPLE-TOKEN", "appliance-id": "bedroom-lamp"},
            "a TurnOnRequest control directive",
        ),
        "smart-home-discovery-request": Sample(
            smart_home_discovery, {"access-token": "EXAMPLE-TOKEN"}, "a DiscoverAppliancesRequest"
        ),
    },
    "lex": {
        "book-car": _lex_v1_sample(
            "BookTrip",
            "BookCar",
            '{"PickUpCity": "Chicago", "PickUpDate": "2030-11-08", "ReturnDate": "2030-11-10", '
            '"CarType": "economy", "DriverAge": "30"}',
            "book a car",
        ),
        "book-hotel": _lex_v1_sample(
            "BookTrip",
            "BookHotel",
            '{"Location": "Chicago", "CheckInDate": "2030-11-08", "Nights": "3", "RoomType": "queen"}',
            "book a hotel",
        ),
        "make-appointment": _lex_v1_sample(
            "MakeAppointment",
            "MakeAppointment",
            '{"AppointmentType": "cleaning", "Date": "2030-11-08", "Time": "10:00"}',
            "make an appointment",
        ),
        "order-flowers": _lex_v1_sample(
            "OrderFlowers",
            "OrderFlowers",
            '{"FlowerType": "roses", "PickupDate": "2030-11-08", "PickupTime": "10:00"}',
            "order flowers",
        ),
    },
    "lex-v2": {
        "banking-bot": _lex_v2_sample(
            "BankingBot",
            "CheckBalance",
            '{"accountType": "Savings", "dateofBirth": "1990-01-01"}',
            "what is my savings balance",
            "FulfillmentCodeHook",
        ),
        "book-car": _lex_v2_sample(
            "BookTrip",
            "BookCar",
            '{"PickUpCity": "Chicago", "PickUpDate": "2030-11-08", "ReturnDate": "2030-11-10", '
            '"CarType": null, "DriverAge": null}',
            "book a car in Chicago",
        ),
        "book-hotel": _lex_v2_sample(
            "BookTrip",
            "BookHotel",
            '{"Location": "Chicago", "CheckInDate": "2030-11-08", "Nights": "3", "RoomType": null}',
            "book a hotel in Chicago",
        ),
    },
    "connect": {
        "contact-flow-event": Sample(
            connect_contact_flow,
            {
                "contact-id": "0c5d6a3e-7b1f-4e2a-9d48-2f6b1c3e8a70",
                "phone-number": "+12065550123",
                "instance-id": "7e1b2c4d-3f5a-4b6c-8d7e-9f0a1b2c3d4e",
                "parameters": "{}",
                "region": REGION,
            },
            "a contact flow's Invoke AWS Lambda function block",
        )
    },
}
