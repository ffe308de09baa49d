"""The baseline: what a back office would write without jdy-member. Plain Python with
`requests` and `hmac`, making the same signed requests (app-token fetched once, then saves on
one keep-alive `requests.Session`), signing as the README and src/signing.rs describe:

    METHOD\\n RFC3986(path)\\n signed query line\\n x-api-nonce:N\\n x-api-timestamp:T\\n
    X-Api-Signature = Base64(lower-hex(HMAC-SHA256(client_secret, that string)))

    python baseline_save.py CONFIG_JSON SEED_FILE FIRST_MOBILE WARMUP COUNT

No validation, retries, clock correction or error classification: a plain loop. Prints the
same JSON line as lib_save.py.
"""

import base64
import hashlib
import hmac
import json
import random
import sys
import time
from urllib.parse import quote, quote_plus

import requests

from lib_save import measure

TOKEN_PATH = "/jdyconnector/app_management/kingdee_auth_token"
MEMBER_PATH = "/jdy/v2/ls/member"


def b64_hex_hmac(key, message):
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def signed_headers(client_id, client_secret, method, path, params):
    """The gateway headers, and the wire query for `params` (Java URLEncoder form)."""
    wire = ["%s=%s" % (quote_plus(k), quote_plus(v)) for k, v in params]
    signed = sorted("%s=%s" % tuple(quote(p, safe="") for p in w.split("=", 1)) for w in wire)
    wire.sort(key=lambda w: "%s=%s" % tuple(quote(p, safe="") for p in w.split("=", 1)))
    nonce = str(random.randint(1000000000, 9999999999))
    timestamp = str(int(time.time() * 1000))
    to_sign = "%s\n%s\n%s\nx-api-nonce:%s\nx-api-timestamp:%s\n" % (
        method, quote(path, safe=""), "&".join(signed), nonce, timestamp)
    headers = {
        "X-Api-ClientID": client_id,
        "X-Api-Auth-Version": "2.0",
        "X-Api-TimeStamp": timestamp,
        "X-Api-Nonce": nonce,
        "X-Api-SignHeaders": "X-Api-TimeStamp,X-Api-Nonce",
        "X-Api-Signature": b64_hex_hmac(client_secret, to_sign),
    }
    return headers, "&".join(wire)


def main():
    config = json.loads(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        seed = json.load(f)
    mobile = int(sys.argv[3])
    warmup, count = int(sys.argv[4]), int(sys.argv[5])
    base, client_id, secret = config["base_url"], config["client_id"], config["client_secret"]
    session = requests.Session()

    # The app-token, once.
    params = [("app_key", config["app_key"]),
              ("app_signature", b64_hex_hmac(config["app_secret"], config["app_key"]))]
    headers, query = signed_headers(client_id, secret, "GET", TOKEN_PATH, params)
    answer = session.get(base + TOKEN_PATH + "?" + query, headers=headers, timeout=30).json()
    if answer.get("errcode") != 0:
        raise SystemExit("token request refused: %s" % answer)
    token = answer["data"]["app-token"]

    def save(member):
        headers, _ = signed_headers(client_id, secret, "POST", MEMBER_PATH, [])
        headers["app-token"] = token
        headers["X-GW-Router-Addr"] = config["domain"]
        answer = session.post(base + MEMBER_PATH, json=member, headers=headers, timeout=30).json()
        return None if answer.get("errcode") == 0 else "refused: %s" % answer

    return measure(save, seed, mobile, warmup, count)


if __name__ == "__main__":
    sys.exit(main())
