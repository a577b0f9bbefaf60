"""Drives bandit's Seldon router and arms with Seldon Core's own Python client
(seldon-core 1.17.1, `SeldonClient` over REST: form-encoded `json=` bodies, replies parsed
strictly into protobuf). Called by seldon-client.e2e.ts; prints one JSON document.

usage: seldon_driver.py '{"routers": ["127.0.0.1:P1", "127.0.0.1:P2"], "arms": {"name": "127.0.0.1:P"},
                          "unit": "bandit-router"}'
"""
import json
import sys

import numpy as np
import requests
from seldon_core.metadata import SeldonInvalidMetadataError, validate_model_metadata
from seldon_core.proto import prediction_pb2
from seldon_core.seldon_client import SeldonClient
from seldon_core.utils import feedback_to_json, json_to_seldon_message, seldon_message_to_json


def msg_json(m):
    return None if m is None else seldon_message_to_json(m)


def outcome(result):
    return {"success": bool(result.success), "msg": result.msg, "response": msg_json(result.response)}


def main():
    cfg = json.loads(sys.argv[1])
    a, b = cfg["routers"]
    ca = SeldonClient(microservice_endpoint=a)
    cb = SeldonClient(microservice_endpoint=b)
    out = {"steps": []}

    def step(name, kind, result, reward=None, request=None):
        entry = {"name": name, "kind": kind, "reward": reward, **outcome(result)}
        if request is not None:
            entry["request"] = msg_json(request)
        out["steps"].append(entry)
        return result

    # 1. a tensor request (the client's default payload) routed by replica A
    r1 = step("route tensor", "route", ca.microservice(method="route", transport="rest", data=np.array([[1.0, 2.0]])))
    # 2. its feedback, reward 1, sent to replica B (state is shared: same posterior)
    step("feedback 1 via B", "feedback", cb.microservice_feedback(prediction_request=r1.request, prediction_response=r1.response, reward=1.0, transport="rest"), 1.0)
    # 3. the same feedback retried on A: a duplicate, not counted again
    step("feedback 1 retried via A", "feedback", ca.microservice_feedback(prediction_request=r1.request, prediction_response=r1.response, reward=1.0, transport="rest"), 1.0)
    # 4. an ndarray request, rewarded 0 — proto3 JSON omits a zero reward
    r2 = step("route ndarray", "route", ca.microservice(method="route", transport="rest", data=np.array([[3.0]]), payload_type="ndarray"))
    step("feedback 0", "feedback", ca.microservice_feedback(prediction_request=r2.request, prediction_response=r2.response, reward=0.0, transport="rest"), 0.0)
    out["zero_reward_payload"] = feedback_to_json(prediction_pb2.Feedback(reward=0.0))
    # 5. a batch of four rows rewarded with its success fraction
    r3 = step("route batch of 4", "route", cb.microservice(method="route", transport="rest", data=np.array([[1.0], [2.0], [3.0], [4.0]])))
    step("feedback 0.75 for the batch", "feedback", cb.microservice_feedback(prediction_request=r3.request, prediction_response=r3.response, reward=0.75, transport="rest"), 0.75)
    # 6. an out-of-range reward: refused in Seldon's error shape, nothing counted
    r4 = step("route for a bad reward", "route", ca.microservice(method="route", transport="rest", data=np.array([[5.0]])))
    step("feedback 1.5 (refused)", "feedback", ca.microservice_feedback(prediction_request=r4.request, prediction_response=r4.response, reward=1.5, transport="rest"), 1.5)
    # 7. the executor's path: the response is the chosen ARM's reply carrying the executor's
    #    puid and routing injection (the router's own reply body never reaches the client)
    puid = "driver-puid-0001"
    routed = requests.post("http://" + a + "/route", data={"json": json.dumps({"data": {"ndarray": [[7.0]]}})}, headers={"Seldon-Puid": puid})
    if routed.status_code != 200:
        raise SystemExit("executor-style /route failed: %d %s" % (routed.status_code, routed.text))
    route_reply = json_to_seldon_message(routed.json())
    k = int(route_reply.data.ndarray[0][0])
    arm_names = cfg["armNames"]
    arm_client = SeldonClient(microservice_endpoint=cfg["arms"][arm_names[k]])
    predicted = arm_client.microservice(method="predict", transport="rest", data=np.array([[7.0]]), payload_type="ndarray")
    executor_response = json_to_seldon_message({**seldon_message_to_json(predicted.response), "meta": {"puid": puid, "routing": {cfg["unit"]: k}}})
    out["executor_route"] = {"status": routed.status_code, "response": seldon_message_to_json(route_reply)}
    step(
        "executor-style feedback (puid + routing)",
        "feedback",
        cb.microservice_feedback(prediction_request=json_to_seldon_message({"data": {"ndarray": [[7.0]]}}), prediction_response=executor_response, reward=1.0, transport="rest"),
        1.0,
    )
    out["executor_arm"] = k
    # 8. the arms answer the client's predict with their payloads
    out["arms"] = {}
    for name, endpoint in cfg["arms"].items():
        r = SeldonClient(microservice_endpoint=endpoint).microservice(method="predict", transport="rest", data=np.array([[1.0, 2.0]]))
        out["arms"][name] = outcome(r)
    # 9. metadata as Seldon's wrapper validates it
    out["metadata"] = {}
    for name, endpoint in [("router", a)] + list(cfg["arms"].items()):
        body = requests.get("http://" + endpoint + "/metadata").json()
        try:
            validate_model_metadata(body)
            out["metadata"][name] = {"valid": True, "body": body}
        except SeldonInvalidMetadataError as e:
            out["metadata"][name] = {"valid": False, "error": str(e), "body": body}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
