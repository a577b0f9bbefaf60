"""Drives Seldon graphs run by Seldon's executor (miniexec, built from Seldon Core v1.17.1)
with Seldon Core's own Python client: `SeldonClient.predict` / `.feedback` over REST through
the gateway path the executor serves. Called by executor.e2e.ts; prints one JSON document.

usage: executor_driver.py '{"executors": {"name": "127.0.0.1:P"}, "ops": [...]}'
ops, run in order:
  {"op": "predict", "id": "p1", "via": "name", "rows": 1}
  {"op": "feedback", "id": "f1", "via": "name", "of": "p1", "reward": 1.0}       (SeldonClient.feedback)
  {"op": "raw_feedback", "id": "f2", "via": "name", "of": "p1", "reward": 1.0, "puid": "x"}
      (the same Feedback as JSON with the client's own Seldon-Puid header: a client retry)
"""
import json
import sys

import numpy as np
import requests
from seldon_core.seldon_client import SeldonClient
from seldon_core.utils import json_to_seldon_message, seldon_message_to_json

NAMESPACE = "datasci"
DEPLOYMENT = "bandit-router"


def msg_json(m):
    if m is None or isinstance(m, dict):
        return m
    return seldon_message_to_json(m)


def main():
    cfg = json.loads(sys.argv[1])
    clients = {name: SeldonClient(gateway="istio", gateway_endpoint=ep, namespace=NAMESPACE, deployment_name=DEPLOYMENT, client_return_type="proto") for name, ep in cfg["executors"].items()}
    predictions = {}
    out = []
    for op in cfg["ops"]:
        client = clients[op["via"]]
        if op["op"] == "predict":
            rows = int(op.get("rows", 1))
            data = np.arange(rows * 2, dtype=float).reshape(rows, 2)
            r = client.predict(transport="rest", data=data, payload_type="ndarray")
            predictions[op["id"]] = r
            out.append({"id": op["id"], "success": bool(r.success), "msg": r.msg, "request": msg_json(r.request), "response": msg_json(r.response)})
        elif op["op"] == "feedback":
            p = predictions[op["of"]]
            r = client.feedback(prediction_request=p.request, prediction_response=p.response, reward=float(op["reward"]), transport="rest")
            out.append({"id": op["id"], "success": bool(r.success), "msg": r.msg, "response": msg_json(r.response)})
        elif op["op"] == "raw_feedback":
            p = predictions[op["of"]]
            body = {"request": msg_json(p.request), "response": msg_json(p.response), "reward": float(op["reward"])}
            url = "http://%s/seldon/%s/%s/api/v1.0/feedback" % (cfg["executors"][op["via"]], NAMESPACE, DEPLOYMENT)
            res = requests.post(url, json=body, headers={"Seldon-Puid": op["puid"]}, timeout=10)
            try:
                reply = res.json()
                parsed = msg_json(json_to_seldon_message(reply))
            except Exception as e:  # noqa: BLE001 - report what the client would see
                reply, parsed = res.text, None
            out.append({"id": op["id"], "success": res.status_code == 200, "status": res.status_code, "response": parsed, "raw": reply})
        else:
            raise SystemExit("unknown op %r" % op["op"])
    print(json.dumps({"results": out}))


if __name__ == "__main__":
    main()
